"use strict";
// The review section: upload a file, show classifications and findings, download the annotated workbook.
async function upload(format) {
  const f = $("file").files[0];
  if (!f) { $("upload-out").innerHTML = '<p class="error">请选择文件</p>'; return null; }
  const fd = new FormData(); fd.append("file", f);
  const query = format ? `?format=${format}` : ($("review-llm").checked ? "?llm=true" : "");
  return fetch("/v1/tables/upload" + query, { method: "POST", headers: auth(), body: fd });
}

$("upload-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("upload-out"); out.textContent = "正在解析与分类…";
  try {
    const resp = await upload(null); if (!resp) return;
    if (!resp.ok) { out.innerHTML = `<p class="error">${esc(await problem(resp))}</p>`; return; }
    const r = await resp.json();
    let html = "";
    for (const t of r.tables || []) {
      const table = t.table;
      html += `<h3>${esc(table.project || table.id)}</h3><table><tr><th>#</th><th>三级指标</th><th>指标值</th><th>填报类别</th><th>预测类别</th><th>置信度</th></tr>`;
      for (const c of t.classifications || []) {
        const ind = table.indicators[c.index] || {};
        const value = ind.annual_value ?? ind.period_value;
        html += `<tr class="${c.agrees === false ? "bad" : ""}"><td>${c.index + 1}</td><td>${esc(c.name)}</td><td>${esc(value)}</td><td>${esc(c.declared_code)}</td><td>${esc(c.prediction.code)} ${esc(c.prediction.level2)}</td><td>${Number(c.prediction.confidence).toFixed(2)}</td></tr>`;
      }
      html += "</table>";
      const findings = t.findings || [];
      if (findings.length) html += "<ul>" + findings.map((f) => `<li>[${esc(f.severity)}] ${esc(f.rule)}：${esc(f.message)}</li>`).join("") + "</ul>";
      html += renderRewrites(t.rewrites);
    }
    for (const w of r.warnings || []) html += `<p class="weak">跳过：${esc(w.text)}（${esc(w.problem)}）</p>`;
    out.innerHTML = html || "<p>未识别到指标</p>";
  } catch (e) { out.innerHTML = `<p class="error">请求失败：${esc(e)}</p>`; }
});

$("xlsx").addEventListener("click", async () => {
  try {
    const resp = await upload("xlsx"); if (!resp) return;
    if (!resp.ok) { $("upload-out").innerHTML = `<p class="error">${esc(await problem(resp))}</p>`; return; }
    const url = URL.createObjectURL(await resp.blob());
    const a = document.createElement("a"); a.href = url; a.download = "审核结果.xlsx"; a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (e) { $("upload-out").innerHTML = `<p class="error">请求失败：${esc(e)}</p>`; }
});
