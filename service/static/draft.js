"use strict";
// The drafting section: POST /v1/suggest, an editable draft (tick, edit, delete, add rows),
// and the download of the edited draft as an .xlsx (POST /v1/suggest/xlsx).
const ORIGIN_ZH = { project: "项目", pattern: "模式", corpus: "同类", llm: "模型" };
let draft = null;  // { query, scheme, year, tiers: [{code, level1, level2}], rows: [...] }

function why(s) {
  if (s.origin === "project") return s.source_phrase ? `${s.value_basis || "项目文本"}：“${s.source_phrase}”` : (s.value_basis || "");
  if (s.origin === "pattern" && s.pattern && !s.pattern.support) return `${s.pattern.pattern}（通用表述，请按实际填写）`;
  if (s.origin === "pattern" && s.pattern) {
    const ex = (s.evidence || []).slice(0, 2).map((e) => `${e.project || e.table_id}：${e.indicator_name}`).join("；");
    return `${s.pattern.pattern}（${s.pattern.support} 张表使用）${ex ? "；例 " + ex : ""}`;
  }
  const ev = (s.evidence || []).slice(0, 2).map((e) => `${e.project || e.table_id}（相关度 ${Number(e.relevance).toFixed(2)}）`).join("；");
  return `${s.support} 张表使用；${ev}`;
}

function renderDraft() {
  const out = $("suggest-out");
  // The LLM's checked draft (llm.js), when it was asked for, above the editable grounded draft.
  let html = renderLlm(draft.llm);
  html += `<label for="draft-goal"><b>绩效目标（可编辑）</b></label><textarea id="draft-goal">${esc(draft.goal)}</textarea>`;
  html += `<table id="draft-table"><tr><th>选用</th><th>三级指标</th><th>指标值</th><th>来源</th><th>依据</th><th></th></tr>`;
  for (const t of draft.tiers) {
    const rows = draft.rows.filter((r) => r.code === t.code);
    if (!rows.length) continue;
    html += `<tr class="tier"><td colspan="6">${esc(t.code)} ${esc(t.level1)} / ${esc(t.level2)}</td></tr>`;
    for (const r of rows) {
      const i = draft.rows.indexOf(r);
      html += `<tr data-i="${i}" class="${r.weak ? "weak" : ""}">` +
        `<td><input type="checkbox" class="pick" ${r.picked ? "checked" : ""} aria-label="选用"></td>` +
        `<td><input class="name" value="${esc(r.name)}" aria-label="三级指标"></td>` +
        `<td><input class="value" value="${esc(r.value)}" aria-label="指标值"></td>` +
        `<td>${esc(ORIGIN_ZH[r.origin] || r.origin || "手工")}${r.weak ? "（通用）" : ""}</td>` +
        `<td>${esc(r.why)}</td>` +
        `<td><button type="button" class="del" title="删除此行">删除</button></td></tr>`;
    }
  }
  html += "</table>";
  const options = draft.tiers.map((t) => `<option value="${esc(t.code)}">${esc(t.code)} ${esc(t.level1)} / ${esc(t.level2)}</option>`).join("");
  html += `<p><select id="add-tier" aria-label="新增指标的类别">${options}</select><button type="button" id="add-row">添加一行</button> ` +
    `<button type="button" id="draft-xlsx">下载 Excel（选用的行）</button></p>`;
  html += draft.findings.length
    ? "<p><b>自检（审核规则）：</b></p><ul>" + draft.findings.map((f) => `<li class="${f.severity === "error" ? "error" : "weak"}">${esc(f.message)}</li>`).join("") + "</ul>"
    : "<p><b>自检（审核规则）：</b>无问题</p>";
  const shown = (draft.llm && draft.llm.warnings) || [];  // the assistant's warnings are shown with its draft
  html += draft.warnings.filter((w) => !shown.includes(w)).map((w) => `<p class="weak">${esc(w)}</p>`).join("");
  if (draft.similar.length) {
    html += "<p><b>相似项目（相关度）：</b>" + draft.similar.slice(0, 5).map((p) => `${esc(p.project || p.table_id)}（${Number(p.relevance).toFixed(2)}）`).join("；") + "</p>";
  }
  out.innerHTML = html;
}

$("suggest-out").addEventListener("input", (ev) => {
  if (!draft) return;
  if (ev.target.id === "draft-goal") { draft.goal = ev.target.value; return; }
  const tr = ev.target.closest("tr[data-i]");
  if (!tr) return;
  const r = draft.rows[Number(tr.dataset.i)];
  if (ev.target.classList.contains("name")) r.name = ev.target.value;
  if (ev.target.classList.contains("value")) r.value = ev.target.value;
  if (ev.target.classList.contains("pick")) r.picked = ev.target.checked;
});

$("suggest-out").addEventListener("click", async (ev) => {
  if (!draft) return;
  const tr = ev.target.closest("tr[data-i]");
  if (ev.target.classList.contains("del") && tr) {
    draft.rows.splice(Number(tr.dataset.i), 1);
    renderDraft();
  } else if (ev.target.id === "add-row") {
    draft.rows.push({ code: $("add-tier").value, name: "", value: "", origin: null, why: "手工添加", picked: true });
    renderDraft();
  } else if (ev.target.id === "draft-xlsx") {
    await downloadDraft(ev.target);
  }
});

async function downloadDraft(btn) {
  const tiers = Object.fromEntries(draft.tiers.map((t) => [t.code, t]));
  const rows = draft.rows.filter((r) => r.picked && r.name.trim())
    .map((r) => ({ level1: tiers[r.code].level1, level2: tiers[r.code].level2, name: r.name.trim(), value: r.value.trim() || null }));
  if (!rows.length) { alert("请至少选用一行指标"); return; }
  const body = { name: draft.query.name, goal_text: draft.goal, amount: draft.query.amount, year: draft.year, scheme: draft.scheme, rows };
  btn.disabled = true;
  try {
    const resp = await fetch("/v1/suggest/xlsx", { method: "POST", headers: { "Content-Type": "application/json", ...auth() }, body: JSON.stringify(body) });
    if (!resp.ok) { alert(await problem(resp)); return; }
    const url = URL.createObjectURL(await resp.blob());
    const a = document.createElement("a");
    a.href = url; a.download = `${draft.query.name.slice(0, 60)}-绩效目标表.xlsx`;
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) { alert(`下载失败：${e}`); }
  finally { btn.disabled = false; }
}

$("suggest-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const btn = ev.submitter; btn.disabled = true;
  const out = $("suggest-out"); out.textContent = "正在起草…";
  const body = { name: $("name").value, goal: $("goal").value || null, scheme: $("scheme").value };
  if ($("amount").value) body.amount = Number($("amount").value);
  if ($("year").value) body.year = Number($("year").value);
  if ($("use-llm").checked) body.llm = true;
  try {
    const resp = await fetch("/v1/suggest", { method: "POST", headers: { "Content-Type": "application/json", ...auth() }, body: JSON.stringify(body) });
    if (!resp.ok) { out.innerHTML = `<p class="error">${esc(await problem(resp))}</p>`; return; }
    const t = await resp.json();
    const tiers = [], rows = [];
    for (const [code, items] of Object.entries(t.tiers || {})) {
      tiers.push({ code, level1: items[0].level1, level2: items[0].level2 });
      for (const s of items) rows.push({ code, name: s.name, value: s.suggested_value || "", origin: s.origin, weak: s.weak, why: why(s), picked: true });
    }
    // Every tier of the scheme can take a hand-added row, also those the draft left empty.
    const tax = await fetch("/v1/taxonomy", { headers: auth() }).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    for (const tier of ((tax && tax.tiers) || []).filter((x) => (x.schemes || []).includes(t.scheme))) {
      if (!tiers.some((x) => x.code === tier.code)) tiers.push({ code: tier.code, level1: tier.level1, level2: tier.level2 });
    }
    tiers.sort((a, b) => a.code.localeCompare(b.code));
    draft = { query: t.query, scheme: t.scheme, year: t.year, goal: t.goal_text, tiers, rows,
      findings: t.findings || [], warnings: t.warnings || [], similar: t.similar_projects || [], llm: t.llm || null };
    renderDraft();
  } catch (e) { out.innerHTML = `<p class="error">请求失败：${esc(e)}</p>`; }
  finally { btn.disabled = false; }
});

// A link such as /?name=医疗救助专项经费&goal=… opens with the draft already made.
const params = new URLSearchParams(location.search);
if (params.get("name")) {
  $("name").value = params.get("name");
  $("goal").value = params.get("goal") || "";
  if (params.get("scheme")) $("scheme").value = params.get("scheme");
  if (params.get("llm")) $("use-llm").checked = true;
  $("suggest-form").requestSubmit($("suggest-form").querySelector("button"));
}
