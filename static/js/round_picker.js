// The posting checklist of the round form: find by text, kind and status,
// select or clear the rows shown, count the chosen. Works without it too.
document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("picker-table");
  if (!table) return;
  const rows = [...table.querySelectorAll("tbody tr[data-kind]")];
  const q = document.getElementById("picker-q");
  const kind = document.getElementById("picker-kind");
  const status = document.getElementById("picker-status");
  const count = document.getElementById("picker-count");
  const boxes = () => rows.map((r) => r.querySelector("input[type=checkbox]"));
  const shown = () => rows.filter((r) => !r.hidden);
  const recount = () => { count.textContent = boxes().filter((b) => b.checked).length; };
  const apply = () => {
    const text = q.value.trim();
    rows.forEach((r) => {
      r.hidden = (text && !r.dataset.text.includes(text))
        || (kind.value && r.dataset.kind !== kind.value)
        || (status.value && r.dataset.status !== status.value);
    });
  };
  [q, kind, status].forEach((el) => el.addEventListener("input", apply));
  // Enter in the search box finds; it does not submit the round.
  q.addEventListener("keydown", (ev) => { if (ev.key === "Enter") ev.preventDefault(); });
  const setShown = (value) => {
    shown().forEach((r) => { r.querySelector("input[type=checkbox]").checked = value; });
    recount();
  };
  document.getElementById("picker-all").addEventListener("click", () => setShown(true));
  document.getElementById("picker-none").addEventListener("click", () => setShown(false));
  table.addEventListener("change", recount);
  recount();
});
// 按批次 or 自选挂职: show only the part of the form that applies.
document.addEventListener("DOMContentLoaded", () => {
  const radios = [...document.querySelectorAll("input[name=source]")];
  const batch = document.getElementById("batch-choice");
  const picker = document.getElementById("posting-picker");
  if (!radios.length || !batch || !picker) return;
  const show = () => {
    const byBatch = radios.some((r) => r.checked && r.value === "batch");
    batch.hidden = !byBatch;
    picker.hidden = byBatch;
  };
  radios.forEach((r) => r.addEventListener("change", show));
  show();
});
