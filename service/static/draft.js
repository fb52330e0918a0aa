"use strict";
// The drafting section: POST /v1/suggest and the suggested table.
$("suggest-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const btn = ev.submitter; btn.disabled = true;
  const out = $("suggest-out"); out.textContent = "正在检索相似项目…";
  const body = { name: $("name").value, goal: $("goal").value || null, scheme: $("scheme").value };
  if ($("amount").value) body.amount = Number($("amount").value);
  if ($("use-llm").checked) body.llm = true;
  try {
    const resp = await fetch("/v1/suggest", { method: "POST", headers: { "Content-Type": "application/json", ...auth() }, body: JSON.stringify(body) });
    if (!resp.ok) { out.innerHTML = `<p class="error">${esc(await problem(resp))}</p>`; return; }
    const t = await resp.json();
    const groups = t.tiers || {};  // tier code → suggestions, already in taxonomy order
    let html = `<p class="goal"><b>建议绩效目标：</b>${esc(t.goal_text)}</p>`;
    html += "<table><tr><th>三级指标</th><th>建议年度指标值</th><th>使用表数</th><th>依据</th></tr>";
    for (const code of Object.keys(groups)) {
      const first = groups[code][0];
      html += `<tr class="tier"><td colspan="4">${esc(code)} ${esc(first.level1)} / ${esc(first.level2)}</td></tr>`;
      for (const s of groups[code]) {
        const ev0 = (s.evidence || []).slice(0, 2).map((e) => `${esc(e.project || e.table_id)}（${Number(e.similarity).toFixed(2)}）`).join("；");
        html += `<tr class="${s.weak ? "weak" : ""}"><td>${esc(s.name)}${s.weak ? "（通用，较弱）" : ""}</td><td>${esc(s.suggested_value)}</td><td>${esc(s.support)}</td><td>${ev0}</td></tr>`;
      }
    }
    const shown = (t.llm && t.llm.warnings) || [];  // the assistant's warnings are shown with its draft
    out.innerHTML = renderLlm(t.llm) + html + "</table>" + (t.warnings || []).filter((w) => !shown.includes(w)).map((w) => `<p class="weak">${esc(w)}</p>`).join("");
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
