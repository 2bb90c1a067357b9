// Multi lookups (cadres.lookups.LookupMultipleInput): a suggestion picked in
// the box becomes a chip whose hidden input carries its id; × removes it.
// Without this script the box takes names separated by 、.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-lookup-multiple]").forEach((root) => {
    const box = root.querySelector("input[list]");
    const options = document.getElementById(box.getAttribute("list"));
    const chips = root.querySelector(".lookup-chips");
    const template = root.querySelector("template");
    const chosen = (pk) => [...chips.querySelectorAll("input")].some((i) => i.value === pk);
    const pick = () => {
      const option = [...options.options].find((o) => o.value === box.value);
      if (!option) return false;
      if (!chosen(option.dataset.pk)) {
        const chip = template.content.firstElementChild.cloneNode(true);
        chip.querySelector("input").value = option.dataset.pk;
        chip.querySelector(".lookup-chip-label").textContent = option.value;
        const remove = chip.querySelector("[data-lookup-remove]");
        remove.setAttribute("aria-label", `${remove.getAttribute("aria-label")} ${option.value}`);
        chips.append(chip);
      }
      box.value = "";
      options.replaceChildren();
      return true;
    };
    box.addEventListener("input", pick);
    // Enter takes the suggestion typed out in full; it does not submit the form.
    box.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && pick()) ev.preventDefault();
    });
    chips.addEventListener("click", (ev) => {
      const remove = ev.target.closest("[data-lookup-remove]");
      if (!remove) return;
      remove.closest(".lookup-chip").remove();
      box.focus();
    });
  });
});
