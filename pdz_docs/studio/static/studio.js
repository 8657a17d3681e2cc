/* pdz studio: small progressive enhancements; every page works without them. */
(function () {
  "use strict";
  var fmt = new Intl.NumberFormat("it-IT", {useGrouping: "always"});   // 1.795, as the documents print it

  // Totals of a grid's whole-number columns, recomputed as the writer types (display only: the
  // plan's figures are computed by the program, shown in the funds panel).
  function totals() {
    document.querySelectorAll("table[data-somme]").forEach(function (table) {
      table.querySelectorAll("output[data-colonna]").forEach(function (out) {
        var col = Number(out.getAttribute("data-colonna"));   // 1-based: cell 0 is the row number
        var sum = 0, ok = true;
        table.querySelectorAll("tbody tr").forEach(function (tr) {
          var input = tr.children[col] && tr.children[col].querySelector("input");
          if (!input || input.value.trim() === "") { return; }
          if (!/^\d+$/.test(input.value.trim())) { ok = false; return; }
          sum += Number(input.value.trim());
        });
        out.textContent = ok ? fmt.format(sum) : "—";
      });
    });
  }

  // The figures picker: inserts «{{ cifre.… }}» at the cursor of the chapter's text.
  function insert(button) {
    var select = document.getElementById(button.getAttribute("data-inserisci-da"));
    var area = document.getElementById(select.getAttribute("data-inserisci"));
    if (!select.value) { select.focus(); return; }
    var start = area.selectionStart, end = area.selectionEnd;
    area.value = area.value.slice(0, start) + select.value + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + select.value.length;
    area.focus();
    area.dispatchEvent(new Event("input", {bubbles: true}));
  }

  // An amount's inputs that its state uses: the amount when known, the expected figure when pending,
  // the note but for «quanto programmato nelle schede». The others are hidden (the server ignores them).
  function states(select) {
    select.closest("fieldset").querySelectorAll(".parte[data-stati]").forEach(function (part) {
      part.hidden = part.getAttribute("data-stati").split(" ").indexOf(select.value) < 0;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-stato]").forEach(states);
    document.addEventListener("change", function (e) {
      if (e.target.matches && e.target.matches("select[data-stato]")) { states(e.target); }
    });
    totals();
    document.addEventListener("input", totals);
    // A check while typing that the server refused (a page opened before pdz studio was started again)
    // or could not answer: said in the «Verifica» box instead of leaving the last list there.
    document.body.addEventListener("htmx:responseError", function (e) {
      var box = document.getElementById("verifica");
      if (!box) { return; }
      var p = document.createElement("p");
      p.className = "errore-box";
      p.setAttribute("role", "alert");
      p.textContent = e.detail.xhr.status === 403
        ? "La verifica non è più possibile da questa pagina: è scaduta (pdz studio è stato riavviato, oppure si è usciti). Copiare le modifiche fatte, ricaricare la pagina e ripeterle."
        : "La verifica non è riuscita per un errore interno del programma: le modifiche non sono state controllate.";
      box.replaceChildren(p);
    });
    document.querySelectorAll("[data-inserisci-da]").forEach(function (b) {
      b.addEventListener("click", function () { insert(b); });
    });
    var produce = document.getElementById("produci-modulo");
    if (produce) {
      produce.addEventListener("submit", function () { produce.classList.add("attivo"); });
    }
  });
})();
