// Log-a-talk page: the person picker, the inline actions' form count, agenda templates, and a draft
// kept in this browser tab (sessionStorage: gone when the tab closes) if the page is left unsaved.
(function () {
  "use strict";
  var form = document.getElementById("talk-form");
  if (!form) return;
  var chosen = document.getElementById("chosen");
  var results = document.getElementById("picker-results");
  var picker = document.getElementById("picker");
  var key = form.dataset.draftKey;

  function addChip(pk, name) {
    if (chosen.querySelector('[data-pk="' + pk + '"]')) return;
    var chip = document.createElement("span");
    chip.className = "badge text-bg-primary chip";
    chip.dataset.pk = pk;
    chip.textContent = name + " ";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white btn-sm ms-1";
    close.setAttribute("aria-label", "remove");
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "participants"; input.value = pk;
    chip.appendChild(close); chip.appendChild(input);
    chosen.appendChild(chip);
  }

  results.addEventListener("click", function (e) {
    var item = e.target.closest(".pick");
    if (!item) return;
    addChip(item.dataset.pk, item.dataset.name);
    results.innerHTML = ""; picker.value = "";
    saveDraft();
  });
  chosen.addEventListener("click", function (e) {
    if (e.target.classList.contains("btn-close")) { e.target.closest(".chip").remove(); saveDraft(); }
  });

  // Each action row the server sends takes the next index; keep the formset's count in step.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "actions") {
      var total = document.getElementById("id_actions-TOTAL_FORMS");
      total.value = document.querySelectorAll("#actions .action-row").length;
    }
  });

  var agenda = document.getElementById("agenda");
  if (agenda) agenda.addEventListener("change", function () {
    var opt = agenda.options[agenda.selectedIndex];
    var main = document.getElementById("id_main_content");
    if (opt && opt.dataset.body && main && !main.value.trim()) main.value = opt.dataset.body;
  });

  function saveDraft() {
    if (!key || !window.sessionStorage) return;
    var data = {fields: {}, chips: []};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.name === "q") return;
      if (el.type === "checkbox" || el.type === "radio") { if (el.checked) (data.fields[el.name] = data.fields[el.name] || []).push(el.value); }
      else data.fields[el.name] = el.value;
    });
    chosen.querySelectorAll(".chip").forEach(function (c) { data.chips.push([c.dataset.pk, c.firstChild.textContent.trim()]); });
    data.actions = document.querySelectorAll("#actions .action-row").length;
    sessionStorage.setItem(key, JSON.stringify(data));
  }
  function restoreDraft() {
    if (!key || !window.sessionStorage || form.querySelector(".is-invalid")) return;
    var raw = sessionStorage.getItem(key);
    if (!raw || chosen.children.length) return;
    var data = JSON.parse(raw);
    (data.chips || []).forEach(function (c) { addChip(c[0], c[1]); });
    Object.keys(data.fields || {}).forEach(function (name) {
      var els = form.querySelectorAll('[name="' + name + '"]');
      els.forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") el.checked = data.fields[name].indexOf(el.value) >= 0;
        else if (!/^actions-/.test(name)) el.value = data.fields[name];
      });
    });
  }
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("submit", function () { if (window.sessionStorage) sessionStorage.removeItem(key); });
  restoreDraft();
})();
