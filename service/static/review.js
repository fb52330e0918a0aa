"use strict";
// The review section. One file goes to /v1/tables/upload; several files or a .zip go to
// /v1/review/batch and come back as a list sorted by grade. Each table shows its grade and
// per-criterion scores first, then its rows with their findings beside them; the
// classifier's reasons open on demand. Rows are <tr data-table-id data-index> so other
// scripts (reviewer corrections) can attach to them.

const SEV_RANK = { error: 0, warning: 1, info: 2 };
const GRADE_RANK = { "优": 0, "良": 1, "中": 2, "差": 3 };
let lastBatch = false;
let tierNames = {};  // code → 产出指标-数量指标, from /v1/taxonomy

async function loadTierNames() {
  if (Object.keys(tierNames).length) return;
  try {
    const r = await fetch("/v1/taxonomy", { headers: auth() });
    if (r.ok) for (const t of (await r.json()).tiers) tierNames[t.code] = `${t.level1}-${t.level2}`;
  } catch { /* names are a nicety: codes still show */ }
}
const tierName = (code) => tierNames[code] ? `${tierNames[code]}` : code;

function selectedFiles() { return Array.from($("file").files || []); }
function isBatch(files) { return files.length > 1 || (files.length === 1 && /\.zip$/i.test(files[0].name)); }

async function send(format) {
  const files = selectedFiles();
  if (!files.length) { $("upload-out").innerHTML = '<p class="error">请选择文件</p>'; return null; }
  const fd = new FormData();
  lastBatch = isBatch(files);
  const url = lastBatch ? "/v1/review/batch" : "/v1/tables/upload";
  for (const f of files) fd.append(lastBatch ? "files" : "file", f);
  // Rewrite proposals (llm.js) are asked for on a single upload's JSON review only.
  const query = format ? `?format=${format}` : (!lastBatch && $("review-llm").checked ? "?llm=true" : "");
  return fetch(url + query, { method: "POST", headers: auth(), body: fd });
}

// Disable both buttons while a request runs, so a second click cannot start a second review.
async function busy(label, fn) {
  const buttons = [$("review-btn"), $("xlsx")];
  buttons.forEach((b) => { b.disabled = true; });
  $("review-status").textContent = label;
  try { await fn(); } finally {
    buttons.forEach((b) => { b.disabled = false; });
    $("review-status").textContent = "";
  }
}

function worst(findings) {
  return findings.reduce((w, f) => (w === null || SEV_RANK[f.severity] < SEV_RANK[w] ? f.severity : w), null);
}

function findingItem(f, withLocation) {
  const where = withLocation ? `${esc(f.location)}：` : "";
  return `<li><span class="sev sev-${esc(f.severity)}">${esc(f.severity_title)}</span> ` +
    `<span class="score">${esc(f.criterion_title)}</span> ${where}${esc(f.message)}</li>`;
}

function verdictHtml(grade) {
  if (!grade) return "";
  const scores = grade.scores.map((s) =>
    `<span class="score" data-criterion="${esc(s.criterion)}">${esc(s.title)} <b>${s.score}</b> 分` +
    (s.errors + s.warnings + s.infos ? `（${s.errors ? s.errors + " 错误 " : ""}${s.warnings ? s.warnings + " 警告 " : ""}${s.infos ? s.infos + " 提示" : ""}）` : "") +
    "</span>").join("");
  return `<div class="verdict"><span class="grade grade-${esc(grade.title)}" title="${esc(grade.action)}">${esc(grade.title)}</span>` +
    `<div><div><b>${esc(grade.reason)}</b></div><div class="verdict">${scores}</div></div></div>`;
}

function explanationHtml(c) {
  if (!c) return "没有模型判断";
  const ex = c.prediction.explanation || {};
  const neighbors = (ex.neighbors || []).map((n) => `<li>“${esc(n.name)}”（${esc(tierName(n.code))}，相似度 ${Number(n.similarity).toFixed(2)}）</li>`).join("");
  const rules = (ex.rules || []).map((r) => `<li>${esc(r)}</li>`).join("");
  const probs = Object.entries(c.prediction.probabilities || {}).sort((a, b) => b[1] - a[1]).slice(0, 3)
    .map(([k, v]) => `${esc(tierName(k))} ${(v * 100).toFixed(0)}%`).join("，");
  return `<div>模型判断：${esc(c.prediction.level1)}-${esc(c.prediction.level2)}，置信度 ${(c.prediction.confidence * 100).toFixed(0)}%（前三：${probs}）</div>` +
    (rules ? `<div>命中的规则：</div><ul>${rules}</ul>` : "") +
    (neighbors ? `<div>最相近的已标注指标：</div><ul>${neighbors}</ul>` : "");
}

function tableHtml(t, fileName) {
  const table = t.table;
  const byRow = {};
  for (const f of t.findings || []) if (f.indicator_index !== null && f.indicator_index !== undefined) (byRow[f.indicator_index] ||= []).push(f);
  const preds = {};
  for (const c of t.classifications || []) preds[c.index] = c;
  const tableLevel = (t.findings || []).filter((f) => f.indicator_index === null || f.indicator_index === undefined);
  let html = `<div class="table-review" data-table-id="${esc(table.id)}"><h3>${esc(table.project || "未命名项目")}</h3>`;
  if (fileName) html += `<div class="weak">文件：${esc(fileName)}</div>`;
  html += verdictHtml(t.grade);
  if (tableLevel.length) html += `<ul class="findings">${tableLevel.map((f) => findingItem(f, true)).join("")}</ul>`;
  html += '<table><tr><th>行</th><th>申报类别</th><th>三级指标</th><th>指标值</th><th>模型判断</th><th>审核意见</th><th></th></tr>';
  (table.indicators || []).forEach((ind, i) => {
    const c = preds[i];
    const fs = byRow[i] || [];
    const w = worst(fs);
    const value = ind.annual_value ?? ind.period_value;
    const declared = c ? c.declared_tier : [ind.level1, ind.level2].filter(Boolean).join("-");
    const model = c ? `${esc(c.prediction.level2)}（${(c.prediction.confidence * 100).toFixed(0)}%）${c.agrees === false ? " ✗" : ""}` : "";
    html += `<tr data-table-id="${esc(table.id)}" data-index="${i}"${w ? ` class="row-${w}"` : ""}>` +
      `<td>${i + 1}</td><td>${esc(declared || "未申报")}</td><td>${esc(ind.name)}</td><td>${esc(value)}</td><td>${model}</td>` +
      `<td>${fs.length ? `<ul class="findings">${fs.map((f) => findingItem(f, false)).join("")}</ul>` : ""}</td>` +
      `<td><button type="button" class="link explain-btn" data-target="ex-${esc(table.id)}-${i}">依据</button></td></tr>` +
      `<tr class="explain" id="ex-${esc(table.id)}-${i}" hidden><td></td><td colspan="6">${explanationHtml(c)}</td></tr>`;
  });
  return html + "</table>" + renderRewrites(t.rewrites) + "</div>";
}

function skippedHtml(rows, fileName) {
  return (rows || []).map((w) => `<p class="weak">已跳过${fileName ? `（${esc(fileName)}）` : ""}${w.line ? `第 ${w.line} 行` : ""}：${esc(w.text)}（${esc(w.problem)}）</p>`).join("");
}

function renderUpload(r) {
  let html = "";
  for (const t of r.tables || []) html += tableHtml(t, null);
  html += skippedHtml(r.warnings, null);
  const counts = {};
  for (const t of r.tables || []) counts[t.grade.title] = (counts[t.grade.title] || 0) + 1;
  const line = Object.keys(GRADE_RANK).filter((g) => counts[g]).map((g) => `${g} ${counts[g]} 张`).join("，");
  $("batch-out").innerHTML = (r.tables || []).length > 1 ? `<h3>${esc(r.filename)}：共 ${r.tables.length} 张表（${line}）</h3>` : "";
  $("upload-out").innerHTML = html || "<p>未识别到指标</p>";
}

function renderBatch(b) {
  const rows = [];
  for (const f of b.files || []) for (const t of f.tables || []) rows.push([f.name, t]);
  rows.sort((a, b2) => GRADE_RANK[a[1].grade.title] - GRADE_RANK[b2[1].grade.title] || b2[1].grade.score - a[1].grade.score);
  const counts = Object.entries(b.grades || {}).map(([g, n]) => `${esc(g)} ${n} 张`).join("，");
  let html = `<h3>批量审核：共 ${rows.length} 张表（${counts}）</h3><table id="batch-list"><tr><th>等级</th><th>得分</th><th>文件</th><th>项目名称</th><th>等级说明</th></tr>`;
  rows.forEach(([name, t], k) => {
    html += `<tr data-pick="${k}"><td><span class="grade grade-${esc(t.grade.title)}" style="font-size:16px;width:28px;height:28px;line-height:28px">${esc(t.grade.title)}</span></td>` +
      `<td>${t.grade.score}</td><td>${esc(name)}</td><td>${esc(t.table.project || "未命名项目")}</td><td>${esc(t.grade.reason)}</td></tr>`;
  });
  html += "</table>";
  const failed = (b.files || []).filter((f) => !f.ok || !(f.tables || []).length);
  if (failed.length) html += "<h4>未能审核的文件</h4><ul>" + failed.map((f) => `<li>${esc(f.name)}：${esc(f.problem || "没有识别到绩效目标表")}</li>`).join("") + "</ul>";
  const notes = (b.files || []).filter((f) => f.note);
  if (notes.length) html += "<ul>" + notes.map((f) => `<li class="weak">${esc(f.name)}：${esc(f.note)}</li>`).join("") + "</ul>";
  $("batch-out").innerHTML = html;
  const show = (k) => { const [name, t] = rows[k]; $("upload-out").innerHTML = tableHtml(t, name) + skippedHtml((b.files.find((f) => f.name === name) || {}).skipped, name); };
  $("batch-list").addEventListener("click", (ev) => { const tr = ev.target.closest("tr[data-pick]"); if (tr) show(Number(tr.dataset.pick)); });
  if (rows.length) show(0); else $("upload-out").innerHTML = "";
}

$("file").addEventListener("change", () => {
  const files = selectedFiles();
  $("file-names").textContent = !files.length ? "未选择文件" : files.length === 1 ? files[0].name : `已选择 ${files.length} 个文件`;
});

$("upload-out").addEventListener("click", (ev) => {
  const btn = ev.target.closest(".explain-btn");
  if (!btn) return;
  const row = document.getElementById(btn.dataset.target);
  row.hidden = !row.hidden;
  btn.textContent = row.hidden ? "依据" : "收起";
});

$("upload-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  busy("正在审核，请稍候…", async () => {
    try {
      const resp = await send(null); if (!resp) return;
      if (!resp.ok) { $("upload-out").innerHTML = `<p class="error">${esc(await problem(resp))}</p>`; return; }
      const body = await resp.json();
      await loadTierNames();
      $("review-section").classList.add("wide");
      if (lastBatch) renderBatch(body); else renderUpload(body);
    } catch (e) { $("upload-out").innerHTML = `<p class="error">请求失败：${esc(e.message || e)}</p>`; }
  });
});

$("xlsx").addEventListener("click", () => {
  busy("正在生成 Excel…", async () => {
    try {
      const resp = await send("xlsx"); if (!resp) return;
      if (!resp.ok) { $("upload-out").innerHTML = `<p class="error">${esc(await problem(resp))}</p>`; return; }
      const url = URL.createObjectURL(await resp.blob());
      const a = document.createElement("a"); a.href = url; a.download = lastBatch ? "批量审核汇总.xlsx" : "审核结果.xlsx";
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) { $("upload-out").innerHTML = `<p class="error">请求失败：${esc(e.message || e)}</p>`; }
  });
});
