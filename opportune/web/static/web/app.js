// Opportune's page behaviour beyond htmx: the shared dialog, toasts, small form helpers.
(function () {
  "use strict";

  const dialog = () => document.getElementById("dialog");

  // A form answered with 422 carries its field errors: swap it like a success.
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false },
    ];
  }

  // Content swapped into the dialog opens it; the server closes it with HX-Trigger: close-dialog.
  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target && target.id === "dialog-content" && target.innerHTML.trim()) {
      const box = dialog();
      if (!box.open) box.showModal();
      const first = box.querySelector("[aria-invalid=true], [autofocus], input:not([type=hidden]), select, textarea, button");
      if (first) first.focus();
    }
  });
  document.body.addEventListener("close-dialog", () => {
    const box = dialog();
    if (box && box.open) box.close();
  });
  document.addEventListener("click", (event) => {
    const closer = event.target.closest("[data-close-dialog]");
    if (closer && closer.closest("dialog")) {
      event.preventDefault();
      dialog().close();
    }
  });
  document.addEventListener("close", (event) => {
    if (event.target.id === "dialog") document.getElementById("dialog-content").innerHTML = "";
  }, true);

  // Toasts: the server sends HX-Trigger: {"toast": "message"}.
  function toast(message) {
    const box = document.getElementById("toast");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast";
    item.setAttribute("role", "status");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(() => item.remove(), 4000);
  }
  window.opportuneToast = toast;
  document.body.addEventListener("toast", (event) => toast(event.detail.value || event.detail));
  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    if (status === 404) toast("That record is not available to you.");
    else if (status === 403) toast("Your role may not do that.");
    else if (status >= 500) toast("Something went wrong on the server.");
  });

  // Show/hide fields that only matter for some choices: data-show-when="field=value1,value2".
  function syncConditional(root) {
    root.querySelectorAll("[data-show-when]").forEach((el) => {
      const [name, values] = el.dataset.showWhen.split("=");
      const form = el.closest("form") || document;
      const inputs = form.querySelectorAll(`[name="${name}"]`);
      let value = "";
      inputs.forEach((input) => {
        if ((input.type === "radio" || input.type === "checkbox")) {
          if (input.checked) value = input.type === "checkbox" ? "on" : input.value;
        } else value = input.value;
      });
      el.hidden = !values.split(",").includes(value);
    });
  }
  document.addEventListener("change", (event) => {
    syncConditional(event.target.closest("form") || document);
    // Select-all checkbox of a bulk table.
    if (event.target.matches("[data-select-all]")) {
      const table = event.target.closest("table");
      table.querySelectorAll("input[data-row-check]").forEach((box) => { box.checked = event.target.checked; });
    }
    if (event.target.matches("input[data-row-check], [data-select-all]")) {
      const form = event.target.form;
      const n = form ? form.querySelectorAll("input[data-row-check]:checked").length : 0;
      const label = document.getElementById("selected-count");
      if (label) label.textContent = n ? `${n} selected` : "Select rows to act on them";
      document.querySelectorAll("[data-needs-selection]").forEach((b) => { b.disabled = n === 0; });
    }
  });
  document.addEventListener("htmx:load", (event) => syncConditional(event.detail.elt));
  document.addEventListener("DOMContentLoaded", () => syncConditional(document));

  // Quick-add tabs (log a call / add a task / add a note).
  document.addEventListener("click", (event) => {
    const tab = event.target.closest("[data-tab]");
    if (!tab) return;
    const box = tab.closest("[data-tabs]");
    box.querySelectorAll("[data-tab]").forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
    box.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.dataset.panel !== tab.dataset.tab; });
    const input = box.querySelector(`[data-panel="${tab.dataset.tab}"] input[name=subject]`);
    if (input) input.focus();
  });

  // A record page's Activity / History tabs (the History panel is loaded by htmx).
  document.addEventListener("click", (event) => {
    const tab = event.target.closest("[data-record-tab]");
    if (!tab) return;
    const box = tab.closest("[data-record-tabs]");
    box.querySelectorAll(":scope > [role=tablist] > [data-record-tab]").forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
    box.querySelectorAll(":scope > [data-record-panel]").forEach((p) => { p.hidden = p.dataset.recordPanel !== tab.dataset.recordTab; });
  });

  // A select whose options are addresses goes there (the pipeline switch).
  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-navigate]");
    if (select) window.location = select.value;
  });

  // After a form error, focus goes to the first field to correct (Django marks it
  // aria-invalid and ties its error by aria-describedby), else to the form's alert: on a
  // whole page as it loads, and in any fragment htmx swaps in (a 422 answer included).
  function focusFirstError(root) {
    const field = root.querySelector("[aria-invalid=true]:not([type=hidden])");
    const target = field || root.querySelector("form .alert[role=alert]");
    if (!target) return false;
    if (!field) target.setAttribute("tabindex", "-1");
    target.focus();
    return true;
  }
  document.addEventListener("DOMContentLoaded", () => focusFirstError(document));
  // Forms answer their errors with 422 (see responseHandling above); an outerHTML swap
  // leaves the old target detached, so look in the open dialog, else the whole page.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (!event.detail.xhr || event.detail.xhr.status !== 422) return;
    const box = dialog();
    focusFirstError(box && box.open ? box : document);
  });

  // Keyboard shortcuts (listed on /help/shortcuts/): "?" opens the list, "g" then a letter
  // goes to a page. Ignored while typing in a field or with a modifier held.
  const GO = { m: "/my-work/", l: "/leads/", p: "/pipeline/", o: "/opportunities/", a: "/accounts/", c: "/contacts/" };
  let pendingGo = false;
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const el = event.target;
    if (el.closest && el.closest("input, textarea, select, [contenteditable=true], dialog[open]")) return;
    if (event.key === "?") {
      event.preventDefault();
      window.location = "/help/shortcuts/";
    } else if (pendingGo && GO[event.key]) {
      event.preventDefault();
      window.location = GO[event.key];
    }
    pendingGo = event.key === "g";
  });

  // Mobile navigation.
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".menu-toggle");
    if (!button) return;
    const sidebar = button.closest(".sidebar");
    const open = sidebar.classList.toggle("open");
    button.setAttribute("aria-expanded", String(open));
  });
})();
