// Kanban drag and drop: HTML5 drag events on deal cards, dropped on a column or a won/lost
// zone, posted as a stage change. The server applies the stage rules and answers with the
// card in its new column and fresh column totals (or with the lost-reason dialog).
// Keyboard users move a card with its stage select and Move button instead.
(function () {
  "use strict";

  let dragged = null;

  function zoneOf(target) {
    return target instanceof Element ? target.closest("[data-drop-stage]") : null;
  }

  function csrfHeaders() {
    const raw = document.body.getAttribute("hx-headers");
    try { return raw ? JSON.parse(raw) : {}; } catch (e) { return {}; }
  }

  function move(card, stageKey) {
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      values: { stage: stageKey },
      headers: csrfHeaders(),
      swap: "none",
    });
  }

  document.addEventListener("dragstart", (event) => {
    const card = event.target instanceof Element && event.target.closest(".deal");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    requestAnimationFrame(() => card.classList.add("dragging"));
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".drag-over").forEach((el) => el.classList.remove("drag-over"));
  });

  document.addEventListener("dragover", (event) => {
    const zone = zoneOf(event.target);
    if (!zone || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    zone.classList.add("drag-over");
  });

  document.addEventListener("dragleave", (event) => {
    const zone = zoneOf(event.target);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("drag-over");
  });

  document.addEventListener("drop", (event) => {
    const zone = zoneOf(event.target);
    if (!zone || !dragged) return;
    event.preventDefault();
    zone.classList.remove("drag-over");
    const card = dragged;
    const column = card.closest("[data-drop-stage]");
    if (column && column.dataset.dropStage === zone.dataset.dropStage) return;
    move(card, zone.dataset.dropStage);
  });
})();
