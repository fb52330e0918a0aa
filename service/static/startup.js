"use strict";
// Start-up progress: while the service prepares its models, /v1/health says "starting"
// with the current step; show it and keep the forms disabled until the service is ready.
(function () {
  const box = document.getElementById("startup");
  const buttons = () => document.querySelectorAll("main button");
  async function poll() {
    let h;
    try { h = await (await fetch("/v1/health")).json(); }
    catch { box.hidden = false; box.textContent = "服务暂时无法连接，正在重试……"; setTimeout(poll, 2000); return; }
    if (h.status === "starting" || h.status === "failed") {
      box.hidden = false;
      buttons().forEach((b) => { b.disabled = true; });
      if (h.status === "failed") {
        box.className = "startup error";
        box.textContent = `服务启动失败：${h.error || "原因见服务日志"}`;
        return;
      }
      const pct = Math.round((h.progress || 0) * 100);
      const now = h.step_title || h.step || "准备中";
      box.innerHTML = `服务正在启动：${esc(now)}（已完成 ${pct}%，已用 ${esc(h.elapsed_s)} 秒），就绪后即可使用。` +
        `<progress max="100" value="${pct}"></progress>`;
      setTimeout(poll, 1000);
      return;
    }
    box.hidden = true;
    buttons().forEach((b) => { b.disabled = false; });
  }
  poll();
})();
