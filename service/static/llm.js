"use strict";
// The LLM assistant's part of the page: its checked draft beside the grounded one.
const LLM_STATUS = { accepted: "已采纳", repaired: "修正一轮后采纳", fallback: "未采用，以下为检索生成的草稿" };
const LLM_ORIGIN = { llm: "大模型改写", corpus: "语料库", project: "本项目", pattern: "常用模式" };

function renderLlm(d) {
  if (!d) return "";
  const who = d.model ? `（${esc(d.model)}）` : "";
  let html = `<h3>大模型润色${who}：${esc(LLM_STATUS[d.status] || d.status)}</h3>`;
  html += `<p class="goal"><b>润色后的绩效目标：</b>${esc(d.goal_text)}${d.goal_origin === "llm" ? "（大模型改写）" : ""}</p>`;
  html += "<table><tr><th>类别</th><th>三级指标</th><th>指标值</th><th>来源</th><th>原检索结果与提示</th></tr>";
  for (const r of d.indicators || []) {
    const changed = r.origin === "llm";
    const before = changed ? `${esc(r.grounded_name)}：${esc(r.grounded_value || "-")}` : "";
    const flags = (r.flags || []).map((f) => `<div class="weak">${esc(f.message)}</div>`).join("");
    html += `<tr class="${changed ? "llm" : ""}"><td>${esc(r.code)} ${esc(r.level2)}</td><td>${esc(r.name)}</td>`
      + `<td>${esc(r.value)}</td><td>${esc(LLM_ORIGIN[r.origin] || r.origin)}（${esc((r.candidate_ids || []).join(","))}）</td>`
      + `<td>${before}${flags}</td></tr>`;
  }
  return html + "</table>" + (d.warnings || []).map((w) => `<p class="weak">${esc(w)}</p>`).join("")
    + "<h3>检索生成的草稿（大模型所依据的候选，按编号 c1、c2… 顺序）</h3>";
}

// Rewrite proposals for flagged rows, each beside the original; nothing is applied.
function renderRewrites(rw) {
  if (!rw || rw.status === "none") return "";
  let html = `<h4>大模型改写建议${rw.model ? `（${esc(rw.model)}）` : ""}：仅供参考，未自动采用</h4>`;
  if ((rw.proposals || []).length) {
    html += "<table><tr><th>#</th><th>原指标</th><th>建议改写</th><th>依据</th></tr>";
    for (const p of rw.proposals) {
      const flags = (p.flags || []).map((f) => `<div class="weak">${esc(f.message)}</div>`).join("");
      html += `<tr class="llm"><td>${p.indicator_index + 1}</td><td>${esc(p.original_name)}：${esc(p.original_value || "-")}</td>`
        + `<td>${esc(p.code)} ${esc(p.level2)}｜${esc(p.name)}：${esc(p.value)}${flags}</td><td>${esc((p.candidate_ids || []).join(","))}</td></tr>`;
    }
    html += "</table>";
  }
  return html + (rw.warnings || []).map((w) => `<p class="weak">${esc(w)}</p>`).join("");
}
