// Log-a-talk page (talks.views.talk_new). The person picker (never a stale result), action rows drawn
// by the server for the people chosen (so they offer only owners that can be chosen), the open
// actions of earlier talks to tick off, fields shown only where they apply, the error summary, dates
// echoed in the page's language, and a draft kept in this browser tab (sessionStorage: gone when the
// tab closes) if the page is left unsaved - action rows and the people chosen included.
(function () {
  "use strict";
  var form = document.getElementById("talk-form");
  if (!form) return;
  var chosen = document.getElementById("chosen");
  var results = document.getElementById("picker-results");
  var picker = document.getElementById("picker");
  var rows = document.getElementById("actions");
  var addButton = document.getElementById("add-action");
  var carried = document.getElementById("carried");
  var total = document.getElementById("id_actions-TOTAL_FORMS");
  var details = document.getElementById("more-details");
  var maxRows = parseInt(form.dataset.maxActions || "20", 10);
  var key = form.dataset.draftKey;
  var lang = document.documentElement.lang || "zh-hans";
  var restoring = false;

  // --- The people chosen and the kind of talk -------------------------------------------------------

  function participants() {
    return Array.prototype.map.call(chosen.querySelectorAll('input[name="participants"]'), function (i) { return i.value; });
  }
  function kindValue() {
    var checked = form.querySelector('input[name="kind"]:checked');
    return checked ? checked.value : "individual";
  }
  // One person is an individual talk, two or more a group talk: set for the supervisor.
  function kindFromPeople() {
    var n = participants().length;
    if (!n) return;
    var radio = form.querySelector('input[name="kind"][value="' + (n > 1 ? "group" : "individual") + '"]');
    if (radio) radio.checked = true;
  }
  function params(extra) {
    var q = new URLSearchParams();
    participants().forEach(function (pk) { q.append("participants", pk); });
    q.set("kind", kindValue());
    (extra || []).forEach(function (pair) { q.append(pair[0], pair[1]); });
    return q;
  }
  function get(url, q) {
    return fetch(url + "?" + q.toString(), { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.text();
    });
  }

  function addChip(pk, name) {
    if (chosen.querySelector('.chip[data-pk="' + CSS.escape(pk) + '"]')) return false;
    var chip = document.createElement("span");
    chip.className = "badge text-bg-primary chip";
    chip.dataset.pk = pk;
    chip.dataset.name = name;
    var label = document.createElement("span");
    label.textContent = name;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white chip-remove";
    close.setAttribute("aria-label", (form.dataset.removeLabel || "%(name)s").replace("%(name)s", name));
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "participants"; input.value = pk;
    chip.appendChild(label); chip.appendChild(close); chip.appendChild(input);
    chosen.appendChild(chip);
    return true;
  }
  function peopleChanged() {
    kindFromPeople();
    toggleAll();
    refreshRows();
    loadCarried();
    saveDraft();
  }

  // --- The picker: results for an older query never replace newer ones -----------------------------

  function clearResults() { results.innerHTML = ""; }
  picker.addEventListener("input", function () {
    clearResults(); // what was listed belongs to the old query: nothing stale to tap
    results.setAttribute("aria-busy", "true");
  });
  picker.addEventListener("keydown", function (e) {
    if (e.key !== "Enter") return;
    e.preventDefault(); // Enter picks the one match; it never submits the talk
    var picks = results.querySelectorAll(".pick:not([disabled])");
    if (picks.length === 1 && results.getAttribute("aria-busy") !== "true") picks[0].click();
  });
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.elt !== picker) return;
    results.setAttribute("aria-busy", "true");
    results.querySelectorAll(".pick").forEach(function (b) { b.disabled = true; });
  });
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target !== results) return;
    // hx-sync="this:replace" aborts an older request; this also drops a late answer to one.
    var asked = new URL(e.detail.xhr.responseURL, window.location.href).searchParams.get("q") || "";
    if (asked.trim() !== picker.value.trim()) e.detail.shouldSwap = false;
  });
  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target === results) results.removeAttribute("aria-busy");
  });
  results.addEventListener("click", function (e) {
    var item = e.target.closest(".pick");
    if (!item || item.disabled || results.getAttribute("aria-busy") === "true") return;
    var added = addChip(item.dataset.pk, item.dataset.name);
    clearResults();
    picker.value = "";
    if (added) peopleChanged();
  });
  chosen.addEventListener("click", function (e) {
    var button = e.target.closest(".chip-remove");
    if (!button) return;
    button.closest(".chip").remove();
    peopleChanged();
    picker.focus();
  });

  // --- Action rows, drawn by the server for the people chosen ----------------------------------------

  function actionRows() { return Array.prototype.slice.call(rows.querySelectorAll(".action-row")); }
  function rowPairs(row) {
    var pairs = [];
    row.querySelectorAll("[name]").forEach(function (el) { if (el.value) pairs.push([el.name, el.value]); });
    return pairs;
  }
  function fetchRow(index, pairs) {
    var q = params(pairs);
    q.set("index", String(index));
    return get(form.dataset.rowUrl, q).then(function (html) {
      var tpl = document.createElement("template");
      tpl.innerHTML = html.trim();
      return tpl.content.querySelector(".action-row");
    });
  }
  // What was typed while a row was being drawn again is kept; an owner that cannot be chosen any
  // more is not (the server left it unselected).
  function keepValues(from, to) {
    from.querySelectorAll("[name]").forEach(function (el) {
      var twin = to.querySelector('[name="' + CSS.escape(el.name) + '"]');
      if (!twin) return;
      if (twin.tagName === "SELECT") {
        var option = Array.prototype.find.call(twin.options, function (o) { return o.value === el.value; });
        if (option && !option.disabled) twin.value = el.value;
      } else if (el.type !== "hidden") {
        twin.value = el.value;
      }
    });
  }
  var rowsGeneration = 0;
  function refreshRows() {
    var generation = ++rowsGeneration;
    var current = actionRows();
    if (!current.length) return Promise.resolve();
    return Promise.all(current.map(function (row, i) { return fetchRow(i, rowPairs(row)); })).then(function (fresh) {
      if (generation !== rowsGeneration) return; // the people changed again: a newer drawing follows
      current.forEach(function (row, i) {
        if (!row.isConnected || !fresh[i]) return;
        var focused = row.contains(document.activeElement) ? document.activeElement.name : null;
        keepValues(row, fresh[i]);
        row.replaceWith(fresh[i]);
        if (focused) { var again = fresh[i].querySelector('[name="' + CSS.escape(focused) + '"]'); if (again) again.focus(); }
      });
      rowsChanged();
    });
  }
  function renumber() {
    actionRows().forEach(function (row, i) {
      row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/actions-\d+-/g, "actions-" + i + "-"));
        });
      });
    });
  }
  function rowsChanged() {
    var n = actionRows().length;
    total.value = n;
    addButton.disabled = n >= maxRows;
    toggleAll();
    echoAll();
    saveDraft();
  }
  addButton.addEventListener("click", function () {
    var n = actionRows().length;
    if (n >= maxRows) return;
    addButton.disabled = true;
    fetchRow(n, []).then(function (row) {
      rows.appendChild(row);
      rowsChanged();
      var first = row.querySelector("input:not([type=hidden]), textarea");
      if (first) first.focus();
    }).catch(function () { addButton.disabled = false; });
  });
  rows.addEventListener("click", function (e) {
    var button = e.target.closest(".remove-action");
    if (!button) return;
    button.closest(".action-row").remove();
    renumber();
    rowsChanged();
    addButton.focus();
  });

  // --- Only the fields that apply ------------------------------------------------------------------

  function show(el, on) {
    if (!el) return;
    el.hidden = !on;
    el.querySelectorAll("input, select, textarea").forEach(function (c) { c.disabled = !on; }); // not sent
  }
  function toggleRow(row) {
    var owner = row.querySelector('select[name$="-owner_kind"]');
    show(row.querySelector(".only-colleague"), !!owner && owner.value === "colleague");
    show(row.querySelector(".only-group"), kindValue() === "group");
  }
  function toggleAll() {
    actionRows().forEach(toggleRow);
    var occasion = form.querySelector('input[name="occasion"]:checked');
    show(form.querySelector(".only-triggered"), !!occasion && occasion.value === "triggered");
  }
  rows.addEventListener("change", function (e) {
    if (/-owner_kind$/.test(e.target.name)) toggleRow(e.target.closest(".action-row"));
    if (/-person$/.test(e.target.name)) refreshRows(); // who the action is for decides the owners offered
  });
  form.addEventListener("change", function (e) {
    if (e.target.name === "kind") { toggleAll(); refreshRows(); }
    if (e.target.name === "occasion") toggleAll();
  });

  // --- Open actions of earlier talks ---------------------------------------------------------------

  var carriedGeneration = 0;
  function tickedActions() {
    return Array.prototype.map.call(carried.querySelectorAll('input[name="complete_actions"]:checked'), function (c) { return c.value; });
  }
  function loadCarried(ticked) {
    var generation = ++carriedGeneration;
    var keep = ticked || tickedActions();
    if (!participants().length) { carried.innerHTML = ""; return Promise.resolve(); }
    var q = params(keep.map(function (pk) { return ["complete_actions", pk]; }));
    return get(form.dataset.carriedUrl, q).then(function (html) {
      if (generation === carriedGeneration) carried.innerHTML = html;
    }).catch(function () {});
  }

  // --- Dates in the page's language ----------------------------------------------------------------

  var DATE = /^\s*(\d{4})[-\/.](\d{1,2})[-\/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::\d{2})?)?\s*$/;
  var COMPACT = /^\s*(\d{4})(\d{2})(\d{2})\s*$/;
  function echo(input) {
    var out = document.getElementById(input.id + "-echo");
    if (!out) {
      out = document.createElement("div");
      out.id = input.id + "-echo";
      out.className = "form-text date-echo";
      out.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", out);
    }
    var withTime = input.dataset.echo === "datetime";
    var value = input.value.trim();
    var m = DATE.exec(value) || (withTime ? null : COMPACT.exec(value));
    var d = m && new Date(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0));
    var ok = d && d.getMonth() === +m[2] - 1 && d.getDate() === +m[3] && (!withTime || m[4] !== undefined) && +(m[4] || 0) < 24;
    out.classList.toggle("text-danger", !!value && !ok);
    if (!value) { out.textContent = ""; return; }
    // A refused value as the server drew it has its error below already; say nothing twice.
    if (!ok) { out.textContent = input.classList.contains("is-invalid") && input.value === input.defaultValue ? "" : form.dataset.badDate; return; }
    var options = { weekday: "long", year: "numeric", month: "long", day: "numeric" };
    if (withTime) { options.hour = "2-digit"; options.minute = "2-digit"; options.hourCycle = "h23"; }
    out.textContent = new Intl.DateTimeFormat(lang, options).format(d);
  }
  function echoAll() { form.querySelectorAll("input[data-echo]").forEach(echo); }
  form.addEventListener("input", function (e) { if (e.target.dataset && e.target.dataset.echo) echo(e.target); });

  // --- Errors: the summary is focused; its links go to the field -----------------------------------

  document.addEventListener("click", function (e) {
    var link = e.target.closest('#error-summary a[href^="#"]');
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) return;
    e.preventDefault();
    var inside = target.closest("details");
    if (inside) inside.open = true;
    if (!target.matches("input, select, textarea, button, a[href], [tabindex]")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  });

  // --- Agenda templates ----------------------------------------------------------------------------

  var agenda = document.getElementById("agenda");
  if (agenda) agenda.addEventListener("change", function () {
    var opt = agenda.options[agenda.selectedIndex];
    var main = document.getElementById("id_main_content");
    if (opt && opt.dataset.body && main && !main.value.trim()) main.value = opt.dataset.body;
  });

  // --- The draft -----------------------------------------------------------------------------------

  function saveDraft() {
    if (!key || restoring || !window.sessionStorage) return;
    var data = { fields: {}, chips: [], actions: [], ticked: tickedActions() };
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.name === "q" || el.type === "submit" || el.type === "button") return;
      if (/^actions-/.test(el.name) || el.name === "complete_actions") return;
      if (el.type === "checkbox" || el.type === "radio") { if (el.checked) (data.fields[el.name] = data.fields[el.name] || []).push(el.value); }
      else data.fields[el.name] = el.value;
    });
    chosen.querySelectorAll(".chip").forEach(function (c) { data.chips.push([c.dataset.pk, c.dataset.name]); });
    actionRows().forEach(function (row) {
      var values = {};
      row.querySelectorAll("[name]").forEach(function (el) { if (el.value) values[el.name.replace(/^actions-\d+-/, "")] = el.value; });
      data.actions.push(values);
    });
    try { sessionStorage.setItem(key, JSON.stringify(data)); } catch (err) { /* storage full or off: no draft */ }
  }
  function differsFromDefault(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    return el.value !== el.defaultValue;
  }
  function restoreDraft() {
    if (!key || !window.sessionStorage || form.dataset.bound) return Promise.resolve(false);
    var data;
    try { data = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (err) { data = null; }
    if (!data) return Promise.resolve(false);
    var theirs = (data.chips || []).map(function (c) { return String(c[0]); });
    var here = participants();
    if (here.length && here.join(",") !== theirs.join(",")) return Promise.resolve(false); // opened for someone else
    restoring = true;
    (data.chips || []).forEach(function (c) { addChip(String(c[0]), c[1]); });
    Object.keys(data.fields || {}).forEach(function (name) {
      form.querySelectorAll('[name="' + CSS.escape(name) + '"]').forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") el.checked = data.fields[name].indexOf(el.value) >= 0;
        else el.value = data.fields[name];
      });
    });
    var kept = (data.actions || []).slice(0, maxRows);
    var drawn = Promise.all(kept.map(function (values, i) {
      return fetchRow(i, Object.keys(values).map(function (name) { return ["actions-" + i + "-" + name, values[name]]; }));
    })).then(function (made) {
      rows.innerHTML = "";
      made.forEach(function (row, i) {
        // The row's own values win over the server's defaults (e.g. a due date typed before).
        Object.keys(kept[i]).forEach(function (name) {
          var el = row.querySelector('[name="actions-' + i + "-" + name + '"]');
          if (el && el.tagName !== "SELECT" && el.type !== "hidden") el.value = kept[i][name];
        });
        rows.appendChild(row);
      });
    });
    return Promise.all([drawn, loadCarried(data.ticked || [])]).then(function () {
      if (details && Array.prototype.some.call(details.querySelectorAll("input, select, textarea"), differsFromDefault)) details.open = true;
    }).finally(function () {
      restoring = false;
      rowsChanged();
    });
  }

  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("submit", function () { if (window.sessionStorage) sessionStorage.removeItem(key); });

  toggleAll();
  echoAll();
  var summary = document.getElementById("error-summary") || document.getElementById("same-day");
  if (summary) summary.focus();
  if (form.dataset.bound) saveDraft(); // the posted form, as the server drew it, is the draft now
  else restoreDraft();
})();
