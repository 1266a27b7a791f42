/* Tongban workbench behaviour (no inline scripts):
   - open a <dialog> that htmx swapped into #dialog-host, close it on Esc/cancel and give
     focus back to the button that opened it;
   - kiosk idle timeout: after data-idle-seconds without input, end the session;
   - print buttons;
   - "全部已收取": tick every line of a checklist as received (the clerk still looks);
   - a refused form: focus its first invalid field (else its error summary);
   - conditional rules rendered by the server from the submission's one definition
     (data-required-when="field=value", data-required-message): checked before submit,
     the server stays the authority (ADR 0123);
   - busy state of an action form: once submitted its button is disabled and says so, and
     a second submit is dropped (出证 takes about a second; issue 15 §5). */
(function () {
  "use strict";
  var opener = null;
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-dialog-opener]");
    if (target) { opener = target; }
    var tickAll = event.target.closest("[data-tick-all]");
    if (tickAll) {
      var table = document.getElementById(tickAll.getAttribute("data-tick-all"));
      if (table) {
        table.querySelectorAll("input[type=radio][value=provided]").forEach(function (radio) { radio.checked = true; });
      }
    }
    var printer = event.target.closest("[data-print]");
    if (printer) { event.preventDefault(); window.print(); }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) { event.preventDefault(); dialog.close(); }
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var host = document.getElementById("dialog-host");
    if (!host) { return; }
    var dialog = host.querySelector("dialog");
    if (dialog && !dialog.open) {
      dialog.showModal();
      // never the confirm button: one Enter must not commit a step (issue 15 §5); a
      // dialog without fields starts on its cancel link
      var first = dialog.querySelector("[role=alert], input:not([type=hidden]), select, textarea") ||
        dialog.querySelector("[data-dialog-close]");
      if (first) { if (first.getAttribute("role") === "alert") { first.setAttribute("tabindex", "-1"); } first.focus(); }
      dialog.addEventListener("close", function () {
        host.innerHTML = "";
        if (opener) { opener.focus(); }
      });
    }
  });
  // the clerk's applicant look-up runs by itself once a whole number (18 characters) is
  // typed, and an unregistered number is carried into the form: typed once (issue 15 §6)
  document.addEventListener("input", function (event) {
    var field = event.target.closest("[data-auto-lookup]");
    if (!field) { return; }
    var value = field.value.trim();
    if (value.length === 18 && value !== field.getAttribute("data-looked-up")) {
      field.setAttribute("data-looked-up", value);
      var button = document.getElementById(field.getAttribute("data-auto-lookup"));
      if (button) { button.click(); }
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var note = event.target.querySelector && event.target.querySelector("[data-fill-field]");
    if (!note) { return; }
    var target = document.getElementById(note.getAttribute("data-fill-field"));
    if (target && !target.value) { target.value = note.getAttribute("data-fill-value"); }
  });
  // capture phase: runs before htmx's own submit handler on the form, so a second
  // submit of a busy form is dropped before any request is made
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-busy-form]");
    if (!form) { return; }
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      var busy = button.getAttribute("data-busy-label");
      if (busy) { button.textContent = busy; }
      // disabled after this event: a disabled submitter would not be submitted at all
      setTimeout(function () { button.disabled = true; }, 0);
    });
  }, true);
  // kiosk: end the session after a period without input
  var body = document.body;
  var idle = body && parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var endForm = document.getElementById("kiosk-end");
  if (idle > 0 && endForm) {
    var timer = null;
    var reset = function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { endForm.submit(); }, idle * 1000);
    };
    ["click", "keydown", "touchstart", "input", "scroll"].forEach(function (name) {
      document.addEventListener(name, reset, { passive: true });
    });
    reset();
  }
  // a refused form: the first invalid field gets the focus
  var firstInvalid = document.querySelector("form [aria-invalid=true]");
  var summary = document.getElementById("form-error");
  if (firstInvalid) { firstInvalid.focus(); } else if (summary) { summary.focus(); }

  function markInvalid(field, message) {
    var errorId = "err-" + field.name;
    var note = document.getElementById(errorId);
    if (!note) {
      note = document.createElement("p");
      note.className = "field-error";
      note.id = errorId;
      field.insertAdjacentElement("afterend", note);
    }
    note.textContent = message;
    field.setAttribute("aria-invalid", "true");
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(errorId) < 0) { described.unshift(errorId); }
    field.setAttribute("aria-describedby", described.join(" "));
  }

  function clearInvalid(field) {
    var errorId = "err-" + field.name;
    var note = document.getElementById(errorId);
    if (note) { note.remove(); }
    field.removeAttribute("aria-invalid");
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) { return id && id !== errorId; });
    if (described.length) { field.setAttribute("aria-describedby", described.join(" ")); } else { field.removeAttribute("aria-describedby"); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    // removing a held file is not a submission of the form's content
    if (event.submitter && event.submitter.hasAttribute("formnovalidate")) { return; }
    var first = null;
    form.querySelectorAll("[data-required-when]").forEach(function (field) {
      var rule = field.getAttribute("data-required-when").split("=");
      var other = form.elements.namedItem(rule[0]);
      var applies = other && other.value === rule[1];
      if (applies && !field.value.trim()) {
        markInvalid(field, field.getAttribute("data-required-message"));
        if (!first) { first = field; }
      } else if (field.getAttribute("aria-invalid") === "true" && field.value.trim()) {
        clearInvalid(field);
      }
    });
    if (first) { event.preventDefault(); first.focus(); }
  });
})();
/* Phones (issue 15 §7): below 40rem tongban.css shows each row of a .table-wrap table as
   a card; every cell gets its column's header as data-label so the card still says what
   each value is. Runs on load and on every htmx swap. */
(function () {
  "use strict";
  function labelTables(root) {
    root.querySelectorAll(".table-wrap > table").forEach(function (table) {
      var headers = [];
      table.querySelectorAll(":scope > thead > tr:first-child > th").forEach(function (th) {
        var span = parseInt(th.getAttribute("colspan") || "1", 10);
        for (var i = 0; i < span; i++) { headers.push(th.textContent.trim()); }
      });
      if (!headers.length) { return; }
      table.querySelectorAll(":scope > tbody > tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          var label = headers[column];
          if (label && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", label); }
          column += parseInt(cell.getAttribute("colspan") || "1", 10);
        });
      });
    });
  }
  labelTables(document);
  document.addEventListener("htmx:afterSettle", function (event) { labelTables(event.target || document); });
})();
