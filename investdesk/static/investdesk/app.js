// InvestDesk's page behaviour. The Content-Security-Policy (investdesk/core/headers.py) runs no inline
// script and no inline event handler, so templates only declare what they need with data attributes
// and this file does it. Every listener is delegated from `document`, so it also works for content
// htmx swaps in later.
//
//   <form data-confirm="Delete this draft?">       asks before the form is submitted
//   <select data-autosubmit>                        submits its form when changed
//   <button data-print>                             prints the page
//   <form data-sync-href="#export-link">            after each htmx request from the form, the links
//                                                   matched carry the form's fields as their query
//   <a data-sync-param="filters">                   such a link carries them as one parameter instead
//                                                   (?filters=q%3Dbyd%26city%3D…)
//   <form data-field-groups='{"kind": {"money": ["amount"], "goods": ["item"]}}'>
//                                                   shows a field (its .mb-3 block) only while the
//                                                   control named by the key has the value listing it
//   .id-card[draggable][data-move] / .id-drop[data-stage]
//                                                   the project board: drop a card on a column to open
//                                                   the move dialog (#move-dialog in #move-modal)
(function () {
  "use strict";

  // Capture phase: runs before htmx's own submit handling, so a cancelled form sends nothing.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      const question = form instanceof HTMLFormElement ? form.dataset.confirm : null;
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );

  document.addEventListener("change", (event) => {
    const control = event.target;
    if (control instanceof Element && control.matches("[data-autosubmit]") && control.form) {
      control.form.submit();
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.target instanceof Element ? event.target.closest("form[data-sync-href]") : null;
    if (!form) return;
    const query = new URLSearchParams(new FormData(form)).toString();
    document.querySelectorAll(form.dataset.syncHref).forEach((link) => {
      const url = new URL(link.getAttribute("href"), window.location.href);
      const param = link.dataset.syncParam; // e.g. filters: the new campaign's audience is the filtered list
      const own = param ? new URLSearchParams({ [param]: query }).toString() : query;
      const extra = link.dataset.syncExtra || ""; // e.g. unmasked=1, kept whatever the filters
      url.search = [own, extra].filter(Boolean).join("&");
      link.setAttribute("href", url.pathname + url.search);
    });
  });

  // Forms whose fields depend on a choice (a donation: donor type, money or goods). The server checks
  // all the same; this only hides what does not apply.
  function applyFieldGroups(form) {
    let groups;
    try {
      groups = JSON.parse(form.dataset.fieldGroups);
    } catch (e) {
      return;
    }
    for (const [controlName, options] of Object.entries(groups)) {
      const control = form.elements.namedItem(controlName); // not elements[...]: "item" is a method there
      if (!control) continue;
      for (const [value, names] of Object.entries(options)) {
        for (const name of names) {
          const field = form.elements.namedItem(name);
          const element = field instanceof Element ? field : field && field[0];
          const block = element ? element.closest(".mb-3") : null;
          if (block) block.hidden = control.value !== value;
        }
      }
    }
  }
  document.addEventListener("change", (event) => {
    const form = event.target instanceof Element ? event.target.closest("form[data-field-groups]") : null;
    if (form) applyFieldGroups(form);
  });

  // The project board: drag a card to another column.
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const card = event.target instanceof Element ? event.target.closest(".id-card[data-move]") : null;
    if (!card) return;
    dragged = card;
    event.dataTransfer.setData("text/plain", card.dataset.id);
  });
  document.addEventListener("dragover", (event) => {
    const column = event.target instanceof Element ? event.target.closest(".id-drop") : null;
    if (!column) return;
    event.preventDefault();
    column.classList.add("id-over");
  });
  document.addEventListener("dragleave", (event) => {
    const column = event.target instanceof Element ? event.target.closest(".id-drop") : null;
    if (column) column.classList.remove("id-over");
  });
  document.addEventListener("drop", (event) => {
    const column = event.target instanceof Element ? event.target.closest(".id-drop") : null;
    if (!column) return;
    event.preventDefault();
    column.classList.remove("id-over");
    if (!dragged) return;
    const url =
      dragged.dataset.move +
      "?to=" +
      encodeURIComponent(column.dataset.stage) +
      "&next=" +
      encodeURIComponent(window.location.pathname + window.location.search);
    dragged = null;
    window.htmx
      .ajax("GET", url, { target: "#move-dialog" })
      .then(() => window.bootstrap.Modal.getOrCreateInstance("#move-modal").show());
  });

  function init() {
    document.querySelectorAll("form[data-field-groups]").forEach(applyFieldGroups);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
