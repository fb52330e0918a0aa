"use strict";
// Reviewer corrections: every review row carrying data-table-id and data-index (and
// optionally data-name and data-value, the row's current name and value) gets a
// "更正" control that records a corrected tier, name or value in the corpus
// (PATCH /v1/corpus/tables/{id}/indicators/{n}, with the page's API key).

// The request body: only the fields the reviewer filled in and changed.
function correctionBody(values, current) {
  const body = {};
  for (const field of ["code", "name", "annual_value"]) {
    const v = (values[field] ?? "").trim();
    if (v && v !== (current[field] ?? "")) body[field] = v;
  }
  return body;
}

// The API names fields by stable ids; the page shows their Chinese titles.
const FIELD_TITLES = { code: "指标类别", name: "指标名称", period_value: "期间指标值", annual_value: "年度指标值" };

async function patchIndicator(tableId, index, body) {
  const url = `/v1/corpus/tables/${encodeURIComponent(tableId)}/indicators/${Number(index)}`;
  return fetch(url, {
    method: "PATCH",
    headers: { "Content-Type": "application/json", ...auth() },
    body: JSON.stringify(body),
  });
}

let tierOptions = null;
async function tiers() {
  if (!tierOptions) {
    const resp = await fetch("/v1/taxonomy", { headers: auth() });
    tierOptions = resp.ok ? (await resp.json()).tiers.map((t) => [t.code, t.label]) : [];
  }
  return tierOptions;
}

async function openCorrection(row) {
  if (row.nextElementSibling?.classList.contains("correction")) return;
  const cells = row.querySelectorAll("td");
  // data-name / data-value when the row carries them, else the review table's name and value columns.
  const current = {
    name: row.dataset.name ?? cells[1]?.textContent ?? "",
    annual_value: row.dataset.value ?? cells[2]?.textContent ?? "",
  };
  const options = (await tiers()).map(([code, label]) => `<option value="${esc(code)}">${esc(label)}</option>`).join("");
  const form = document.createElement("tr");
  form.className = "correction";
  form.innerHTML = `<td colspan="${cells.length + 1}">
    <label>正确类别 <select name="code"><option value="">（不改）</option>${options}</select></label>
    <label>指标名称 <input name="name" value="${esc(current.name)}"></label>
    <label>指标值 <input name="annual_value" value="${esc(current.annual_value)}"></label>
    <button type="button" name="save">保存更正</button> <button type="button" name="cancel">取消</button>
    <span class="result"></span></td>`;
  row.after(form);
  const result = form.querySelector(".result");
  form.querySelector("[name=cancel]").addEventListener("click", () => form.remove());
  form.querySelector("[name=save]").addEventListener("click", async () => {
    const values = Object.fromEntries([...form.querySelectorAll("select, input")].map((e) => [e.name, e.value]));
    const body = correctionBody(values, current);
    if (!Object.keys(body).length) { result.textContent = "没有需要更正的内容"; return; }
    result.textContent = "正在保存…";
    try {
      const resp = await patchIndicator(row.dataset.tableId, row.dataset.index, body);
      if (!resp.ok) { result.innerHTML = `<span class="error">${esc(await problem(resp))}</span>`; return; }
      const r = await resp.json();
      const who = r.corrections[0]?.who ?? "";
      result.textContent = `已更正 ${r.corrections.map((c) => FIELD_TITLES[c.field] ?? c.field).join("、")}（${who}，语料库版本 ${r.corpus_version}）`;
      row.classList.add("corrected");
    } catch (e) { result.innerHTML = `<span class="error">请求失败：${esc(e)}</span>`; }
  });
}

function decorate(root) {
  for (const row of root.querySelectorAll("tr[data-table-id][data-index]:not([data-correctable])")) {
    row.dataset.correctable = "1";
    const td = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "更正";
    button.title = "把这一行的正确类别、名称或指标值记入语料库（需要写入密钥）";
    button.addEventListener("click", () => openCorrection(row));
    td.appendChild(button);
    row.appendChild(td);
  }
}

if (typeof document !== "undefined" && document.body) {
  decorate(document);
  new MutationObserver(() => decorate(document)).observe(document.body, { childList: true, subtree: true });
}
if (typeof module !== "undefined") module.exports = { correctionBody, patchIndicator };
