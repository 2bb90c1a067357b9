// The ballot entry page. A slip's QR link carries the code in the URL fragment
// (…/b/#ABCD-2345), which the browser never sends to the server: copy it into
// the form, drop it from the address bar and history, and submit it by POST.
// Without JavaScript the rater types the code printed on the slip.
(() => {
  const takeCode = () => {
    const code = window.location.hash.slice(1).trim();
    if (!code) return;
    window.history.replaceState(null, "", window.location.pathname);
    const input = document.getElementById("id_code");
    if (!input) return;
    input.value = code;
    input.form.submit();
  };
  window.addEventListener("hashchange", takeCode);
  takeCode();
})();
