// The posting form: typing the title suggests the post category. A suggestion
// only, from the title alone; a category the user chose stays, and one left
// empty is decided by the server (title and receiving unit) or asked for.
(() => {
  const title = document.querySelector("input[data-category-hints]");
  const category = title && title.form && title.form.elements.namedItem("category");
  if (!category) return;
  const hints = JSON.parse(title.dataset.categoryHints);
  let suggested = "";
  title.addEventListener("input", () => {
    if (category.value && category.value !== suggested) return; // the user's own choice
    const found = new Set(
      hints.filter(([words]) => words.some((w) => title.value.includes(w))).map(([, c]) => c),
    );
    suggested = found.size === 1 ? [...found][0] : "";
    category.value = suggested;
  });
})();
