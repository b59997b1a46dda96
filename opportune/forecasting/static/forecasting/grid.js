// The forecast grid's inline editor: Escape inside it follows its Cancel link (htmx swaps the
// figures back and returns the focus to the cell). A file, not an hx-trigger filter: the
// Content-Security-Policy allows no eval.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const form = event.target instanceof Element && event.target.closest(".cell-form");
    const cancel = form && form.querySelector("[data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });
})();
