// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Bar widths on the dashboard, relative to the largest count.
  const bars = [...document.querySelectorAll(".progress-bar[data-n]")];
  const max = Math.max(1, ...bars.map((b) => Number(b.dataset.n)));
  bars.forEach((b) => { b.style.width = `${(100 * Number(b.dataset.n)) / max}%`; });
  // Buttons that ask before they act.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (ev) => { if (!window.confirm(el.dataset.confirm)) ev.preventDefault(); });
  });
});
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("accept-all");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll("input[name=accept]").forEach((box) => { box.checked = all.checked; });
    });
  }
});
