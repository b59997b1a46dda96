// The pipeline kanban: three ways to move a deal, each posted as the same stage change.
// - Drag and drop with SortableJS (vendored: sortable.min.js), mouse and touch alike; the
//   DOM is put back at once and the server's answer moves the card (one source of truth).
// - "Move to…" on each card (or Enter/Space on a focused card) opens a stage picker that a
//   tap or a key works; Won/Lost buttons close in one click (Won asks to confirm, Lost for
//   the reason, both in the server's dialog).
// - The keyboard: one tab stop per column (roving tabindex), arrow keys between cards and
//   columns; after a move the moved card has the focus in its new column.
// Each move's toast offers Undo for 10 seconds (the server decides whether it still may).
(function () {
  "use strict";

  const UNDO_MS = 10000;
  let lastUndo = null; // {url, history} of the latest move, while it may be undone
  let origin = null; // the column a moved card came from, to focus when it leaves the board
  let pickerCard = null;

  document.documentElement.classList.add("kanban-js");

  function csrfHeaders() {
    const raw = document.body.getAttribute("hx-headers");
    try { return raw ? JSON.parse(raw) : {}; } catch (e) { return {}; }
  }

  const columns = () => Array.from(document.querySelectorAll("#board .cards"));
  const cardsOf = (column) => Array.from(column.querySelectorAll(":scope > .deal"));
  const stageOf = (card) => {
    const column = card.closest("[data-drop-stage]");
    return column ? column.dataset.dropStage : null;
  };

  function move(card, stageKey) {
    if (!stageKey || stageKey === stageOf(card)) return;
    origin = card.closest(".cards");
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      values: { stage: stageKey },
      headers: csrfHeaders(),
      swap: "none",
    });
  }

  // Roving tabindex: one card per column is in the tab order; controls inside cards are not
  // (Enter opens the picker, which holds every action and the link to the deal).
  function rove(column, current) {
    const cards = cardsOf(column);
    if (!cards.length) return;
    const keep = current || cards.find((c) => c.tabIndex === 0) || cards[0];
    cards.forEach((card) => {
      card.tabIndex = card === keep ? 0 : -1;
      card.querySelectorAll("a, button, select, input").forEach((el) => { el.tabIndex = -1; });
    });
  }

  function focusCard(card) {
    const column = card.closest(".cards");
    if (column) rove(column, card);
    card.focus();
  }

  function neighbour(card, key) {
    const column = card.closest(".cards");
    const cards = cardsOf(column);
    const index = cards.indexOf(card);
    if (key === "ArrowDown") return cards[index + 1];
    if (key === "ArrowUp") return cards[index - 1];
    if (key === "Home") return cards[0];
    if (key === "End") return cards[cards.length - 1];
    const all = columns();
    const step = key === "ArrowRight" ? 1 : -1;
    for (let i = all.indexOf(column) + step; i >= 0 && i < all.length; i += step) {
      const others = cardsOf(all[i]);
      if (others.length) return others[Math.min(index, others.length - 1)];
    }
    return null;
  }

  document.addEventListener("keydown", (event) => {
    const card = event.target;
    if (!(card instanceof Element) || !card.classList.contains("deal")) return;
    if (["ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) {
      const next = neighbour(card, event.key);
      event.preventDefault();
      if (next) focusCard(next);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openPicker(card);
    } else if ((event.key === "u" || event.key === "U") && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      undo();
    }
  });

  // The picker: a modal list of stages, the same for tap, click and keyboard.
  const picker = () => document.getElementById("move-picker");

  function openPicker(card) {
    const box = picker();
    if (!box) return;
    pickerCard = card;
    box.querySelector("[data-picker-name]").textContent = card.dataset.name;
    box.querySelector("[data-picker-open]").href = card.dataset.detailUrl;
    const current = stageOf(card);
    let first = null;
    box.querySelectorAll("[data-pick-stage]").forEach((button) => {
      const here = button.dataset.pickStage === current;
      button.disabled = here;
      if (here) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
      if (!here && !first) first = button;
    });
    box.showModal();
    const after = box.querySelector(`[data-pick-stage="${current}"]`);
    const next = after && after.closest("li").nextElementSibling;
    (next ? next.querySelector("button") : first).focus();
  }

  // Inside the picker the arrow keys walk its stages (wrapping, skipping the card's own
  // stage), Home/End jump to the first/last; Tab still reaches "Open the deal" and "Cancel",
  // and Escape closes the dialog natively (the close handler below refocuses the card).
  document.addEventListener("keydown", (event) => {
    const box = picker();
    if (!box || !box.open || !(event.target instanceof Element) || !box.contains(event.target)) return;
    const keys = ["ArrowDown", "ArrowUp", "ArrowRight", "ArrowLeft", "Home", "End"];
    if (!keys.includes(event.key)) return;
    const options = [...box.querySelectorAll("[data-pick-stage]")].filter((b) => !b.disabled);
    if (!options.length) return;
    event.preventDefault();
    const at = options.indexOf(event.target);
    let next;
    if (event.key === "Home") next = 0;
    else if (event.key === "End") next = options.length - 1;
    else {
      const step = event.key === "ArrowDown" || event.key === "ArrowRight" ? 1 : -1;
      next = at < 0 ? (step > 0 ? 0 : options.length - 1) : (at + step + options.length) % options.length;
    }
    options[next].focus();
  });

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const pick = target.closest("[data-pick-stage]");
    if (pick && pickerCard) {
      const card = pickerCard;
      picker().close();
      move(card, pick.dataset.pickStage);
      return;
    }
    if (target.closest("[data-picker-cancel]")) { picker().close(); return; }
    const open = target.closest("[data-move-picker]");
    if (open) { openPicker(open.closest(".deal")); return; }
    const direct = target.closest("[data-move-to]");
    if (direct) { move(direct.closest(".deal"), direct.dataset.moveTo); return; }
    const undoButton = target.closest("[data-undo]");
    if (undoButton) undo();
  });

  document.addEventListener("close", (event) => {
    if (event.target.id !== "move-picker") return;
    const card = pickerCard;
    pickerCard = null;
    if (card && card.isConnected && !document.querySelector("#dialog[open]")) focusCard(card);
  }, true);

  // The server's answer to a move or an undo (after the swap settled).
  document.body.addEventListener("deal-moved", (event) => {
    const detail = event.detail || {};
    const card = document.getElementById(detail.card);
    if (card) focusCard(card);
    else if (origin && origin.isConnected) {
      const first = cardsOf(origin)[0];
      if (first) focusCard(first);
    }
    origin = null;
    // A swap still settling may replace the focused card after this event (focus then falls
    // to the page body): give the card its focus back once the swap has settled.
    const refocus = () => {
      const settled = document.getElementById(detail.card);
      if (settled && (!document.activeElement || document.activeElement === document.body)) {
        focusCard(settled);
      }
    };
    if (detail.card) {
      document.body.addEventListener("htmx:afterSettle", refocus, { once: true });
      setTimeout(refocus, 50);
    }
    lastUndo = detail.undo_url ? { url: detail.undo_url, history: detail.history } : null;
    toast(detail.message || "", lastUndo);
  });

  function toast(message, undoable) {
    const box = document.getElementById("toast");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast";
    item.setAttribute("role", "status");
    const text = document.createElement("span");
    text.textContent = message;
    item.appendChild(text);
    if (undoable) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "toast-undo";
      button.dataset.undo = String(undoable.history);
      button.textContent = "Undo";
      item.appendChild(button);
      setTimeout(() => {
        button.remove();
        if (lastUndo === undoable) lastUndo = null;
      }, UNDO_MS);
    }
    box.querySelectorAll(".toast-undo").forEach((old) => old.remove());
    box.appendChild(item);
    setTimeout(() => item.remove(), undoable ? UNDO_MS : 4000);
  }

  function undo() {
    if (!lastUndo) return;
    const { url, history } = lastUndo;
    lastUndo = null;
    document.querySelectorAll("#toast .toast-undo").forEach((old) => old.remove());
    htmx.ajax("POST", url, { values: { history: history }, headers: csrfHeaders(), swap: "none" });
  }

  // Drag and drop (SortableJS): every column and the won/lost bar accept cards.
  function sortable(container) {
    if (!window.Sortable || container.dataset.sortable) return;
    container.dataset.sortable = "1";
    const zone = container.classList.contains("dropzone");
    Sortable.create(container, {
      group: { name: "board", pull: !zone, put: true },
      draggable: ".deal",
      filter: "button, select, input",
      preventOnFilter: false,
      sort: false,
      delay: 180,
      delayOnTouchOnly: true,
      fallbackTolerance: 4,
      ghostClass: "deal-ghost",
      chosenClass: "deal-chosen",
      dragClass: "dragging",
      onStart: (event) => { event.item._next = event.item.nextSibling; },
      onEnd: (event) => {
        const card = event.item;
        const target = event.to.closest("[data-drop-stage]");
        if (event.to !== event.from) event.from.insertBefore(card, card._next || null);
        if (target) move(card, target.dataset.dropStage);
      },
    });
  }

  function setUp(root) {
    if (!(root instanceof Element)) return;
    const scope = root.closest("#board") ? root.closest("#board") : root;
    scope.querySelectorAll(".cards, .dropzone").forEach(sortable);
    scope.querySelectorAll(".cards").forEach((column) => rove(column));
  }

  document.addEventListener("htmx:load", (event) => setUp(event.detail.elt));
  document.addEventListener("htmx:afterSettle", (event) => setUp(event.detail.elt));
  if (document.readyState !== "loading") setUp(document.body);
  else document.addEventListener("DOMContentLoaded", () => setUp(document.body));
})();
