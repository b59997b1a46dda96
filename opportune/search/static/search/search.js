/* The top bar's search box (web/topbar_search.html): "/" focuses it from anywhere but a
   field, Escape closes its dropdown, the arrow keys walk the results. htmx fills the
   dropdown; without JavaScript the form is a plain GET to /search/. */
(function () {
  "use strict";
  var input = document.getElementById("topbar-q");
  var box = document.getElementById("topbar-search-results");
  if (!input || !box) return;
  var form = input.form;

  function links() { return Array.prototype.slice.call(box.querySelectorAll("a")); }
  function isOpen() { return !box.hidden; }
  function close() { box.hidden = true; input.setAttribute("aria-expanded", "false"); }
  function open() {
    if (box.textContent.trim() && input.value.trim()) {
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
    } else {
      close();
    }
  }
  function typing(target) {
    return target && target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    event.preventDefault();
    input.focus();
    input.select();
  });

  form.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      if (isOpen()) { event.preventDefault(); close(); input.focus(); }
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var items = links();
    if (!items.length) return;
    if (!isOpen()) open();
    event.preventDefault();
    var at = items.indexOf(document.activeElement);
    var next = event.key === "ArrowDown" ? at + 1 : (at === -1 ? items.length - 1 : at - 1);
    if (next < 0 || next >= items.length) { input.focus(); return; }
    items[next].focus();
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail && event.detail.target === box) open();
  });
  input.addEventListener("input", function () { if (!input.value.trim()) close(); });
  input.addEventListener("focus", open);
  form.addEventListener("focusout", function (event) {
    if (!form.contains(event.relatedTarget)) close();
  });
})();
