// The round sheet saves each reading as soon as the reader leaves its box, where JavaScript runs.
//
// Without this script the sheet is one ordinary form with a Save button; with it, every reading is also
// posted on its own (the same address, the same fields, Accept: application/json) and its row says saved or
// why not. Whatever is typed and not yet saved is kept in this tab's sessionStorage, with the time it was
// typed: a lapsed session, a dropped connection or a reload loses nothing, and the next visit to the sheet
// saves it. Each reading carries the time it was typed (at_<id>, with was_<id> the value it belongs to).
(function () {
  "use strict";
  var form = document.querySelector("form.sheet[data-js-save]");
  if (!form || !window.fetch || !window.FormData) return;
  var t = form.dataset;
  var key = "compound-sheet:" + form.getAttribute("action").split("?")[0];

  function load() {
    try { return JSON.parse(sessionStorage.getItem(key) || "{}"); } catch (e) { return {}; }
  }
  function store(pending) {
    try {
      if (Object.keys(pending).length) sessionStorage.setItem(key, JSON.stringify(pending));
      else sessionStorage.removeItem(key);
    } catch (e) { /* private mode: the form still works */ }
  }
  function remember(id, value, at) {
    var pending = load();
    if (value) pending[id] = { value: value, at: at }; else delete pending[id];
    store(pending);
  }

  function hidden(row, name, value) {
    var input = row.querySelector("input[name='" + name + "']");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      row.querySelector("td.entry").appendChild(input);
    }
    input.value = value;
  }
  function idOf(input) { return input.name.slice("value_".length); }
  function rowOf(id) { return document.getElementById("m" + id); }

  function say(row, kind, lines, extra) {
    var box = row.querySelector(".status");
    if (kind === "saving") {
      // The boxes stay while it saves: the one just ticked must not vanish under the finger.
      extra = Array.prototype.slice.call(box.querySelectorAll("label.check"));
    }
    box.textContent = "";
    var list = document.createElement(kind === "saved" ? "p" : "ul");
    list.className = kind === "saved" ? "saved" : kind === "confirm" ? "warn reasons" : kind === "saving" ? "muted" : "problem reasons";
    lines.forEach(function (text) {
      var item = document.createElement(kind === "saved" ? "span" : "li");
      item.textContent = text;
      list.appendChild(item);
    });
    box.appendChild(list);
    (extra || []).forEach(function (node) { box.appendChild(node); });
    row.className = kind;
  }
  function checkbox(name, label, checked) {
    var wrap = document.createElement("label");
    wrap.className = "check";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = name;
    box.value = "1";
    box.checked = !!checked;
    wrap.appendChild(box);
    wrap.appendChild(document.createTextNode(" " + label));
    return wrap;
  }
  function loginLink() {
    var a = document.createElement("a");
    a.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    a.textContent = t.tLogin_link;
    return a;
  }

  function post(id) {
    var row = rowOf(id);
    var input = row.querySelector("input[name='value_" + id + "']");
    var value = input.value.trim();
    if (!value) return;
    var body = new URLSearchParams();
    ["csrf_token", "read_by"].forEach(function (name) {
      var field = form.querySelector("[name='" + name + "']");
      if (field) body.append(name, field.value);
    });
    row.querySelectorAll("input").forEach(function (field) {
      if (field.type === "checkbox" && !field.checked) return;
      body.append(field.name, field.type === "checkbox" ? "1" : field.value.trim());
    });
    say(row, "saving", [t.tSaving]);
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        say(row, "refused", [t.tLogin], [loginLink()]);
        return null;
      }
      return response.json().then(function (answer) {
        var result = answer.results && answer.results[id];
        if (input.value.trim() !== value) return; // typed again meanwhile: that value is saved next
        if (!result) { say(row, "refused", [t.tOffline]); return; }
        if (result.status === "saved") {
          remember(id, "");
          say(row, "saved", ["✓ " + t.tSaved]);
          return;
        }
        var extra = [];
        if (result.status === "confirm") extra.push(checkbox("confirm_" + id, t.tConfirm, false));
        if (result.offer_rollover) extra.push(checkbox("rollover_" + id, t.tRollover, result.rollover));
        say(row, result.status, result.messages, extra);
      });
    }).catch(function () {
      say(row, "refused", [t.tOffline]);
    });
  }

  form.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.name || input.name.indexOf("value_") !== 0) return;
    var id = idOf(input);
    var at = new Date().toISOString();
    hidden(rowOf(id), "at_" + id, at);
    hidden(rowOf(id), "was_" + id, input.value.trim());
    remember(id, input.value.trim(), at);
  });
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name && input.name.indexOf("value_") === 0) post(idOf(input));
    else if (input.type === "checkbox") post(input.name.split("_")[1]);
  });
  // Enter on a phone's keyboard goes to the next meter instead of sending the whole sheet.
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.name || event.target.name.indexOf("value_") !== 0) return;
    event.preventDefault();
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name^='value_']"));
    var next = boxes[boxes.indexOf(event.target) + 1];
    if (next) next.focus(); else event.target.blur();
  });
  form.addEventListener("submit", function () { store({}); });

  // Rows the server just refused keep their values in the tab too: after a reload or the language switch they are
  // back in their boxes, and sent again for their reason in the page's language.
  var answered = {};
  form.querySelectorAll("tr.refused, tr.confirm").forEach(function (row) {
    var input = row.querySelector("input[name^='value_']");
    var at = row.querySelector("input[name^='at_']");
    if (!input || !input.value) return;
    answered[idOf(input)] = true; // its reason is on the page already
    remember(idOf(input), input.value.trim(), at ? at.value : new Date().toISOString());
  });

  // What was typed in this tab and not saved (the session lapsed, the line dropped): back in its box, and saved.
  var pending = load();
  Object.keys(pending).forEach(function (id) {
    var row = rowOf(id);
    var input = row && row.querySelector("input[name='value_" + id + "']");
    if (!input || answered[id] || (input.value && input.value !== pending[id].value)) return;
    input.value = pending[id].value;
    hidden(row, "at_" + id, pending[id].at);
    hidden(row, "was_" + id, pending[id].value);
    say(row, "restored", [t.tRestored]);
    post(id);
  });
})();
