"use strict";
// Helpers shared by the drafting and review parts of the page.
const $ = (id) => document.getElementById(id);
const auth = () => ($("apikey").value ? { "X-API-Key": $("apikey").value } : {});
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));

async function problem(resp) {
  try { const p = await resp.json(); return `${p.title || resp.status}：${p.detail || ""}`; }
  catch { return `HTTP ${resp.status}`; }
}
