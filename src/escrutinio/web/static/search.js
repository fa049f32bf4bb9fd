// Suggestions as you type in every search box (an ARIA 1.2 combobox with a list box). Without
// JavaScript the box is a plain form that opens /search?q=…; with it, ↓/↑ move through the
// suggestions, Enter opens the one chosen (or searches), Escape closes the list.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("input[data-suggest], input[data-index]");
  var KINDS = { area: 0, centre: 1, table: 2 };
  var loaded = null;

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
  }

  // A static export has no API: the whole index comes once from a JSON file and is searched here,
  // ranked as the server ranks (whole code or name first, exact before prefix, areas first).
  function searchFile(url, q) {
    if (!loaded) {
      loaded = fetch(url).then(function (r) { return r.json(); }).then(function (rows) {
        return rows.map(function (r) {
          return { hit: { code: r[0], name: r[1], kind: r[2], level: r[3], url: r[4], context: r[5] },
                   code: fold(r[0]), name: fold(r[1]), kind: KINDS[r[2]] };
        });
      });
    }
    var f = fold(q);
    return loaded.then(function (rows) {
      var found = [];
      rows.forEach(function (row, i) {
        var score = null;
        if (row.code === f || row.name === f) score = 0;
        else if (row.code.indexOf(f) === 0 || row.name.indexOf(f) === 0) score = 1;
        else if (row.kind < 2 && row.name.indexOf(f) > 0) score = 2;
        if (score !== null) found.push([score, row.kind, row.name.length, i, row.hit]);
      });
      found.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3]; });
      return { results: found.slice(0, 8).map(function (x) { return x[4]; }) };
    });
  }
  Array.prototype.forEach.call(boxes, function (input, n) {
    var list = document.createElement("ul");
    var listId = (input.id || "search") + "-suggestions";
    var items = [], active = -1, timer = null, asked = "";
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.labels && input.labels[0] ? input.labels[0].textContent : "");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(i) {
      var options = list.querySelectorAll("[role=option]");
      Array.prototype.forEach.call(options, function (o, k) { o.setAttribute("aria-selected", k === i ? "true" : "false"); });
      active = i;
      if (i >= 0) {
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(results) {
      items = results;
      list.textContent = "";
      results.forEach(function (hit, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.textContent = hit.name;
        var where = document.createElement("span");
        where.className = "meta";
        where.textContent = " " + [hit.level, hit.kind === "table" ? "" : hit.code, hit.context]
          .filter(Boolean).join(" · ");
        li.appendChild(name);
        li.appendChild(where);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); window.location.href = hit.url; });
        list.appendChild(li);
      });
      active = -1;
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
    }

    function ask() {
      var q = input.value.trim();
      if (q === asked) return;
      asked = q;
      if (!q) { show([]); return; }
      (input.dataset.index ? searchFile(input.dataset.index, q) :
        fetch(input.dataset.suggest + "?limit=8&q=" + encodeURIComponent(q))
          .then(function (r) { return r.ok ? r.json() : { results: [] }; }))
        .then(function (body) { if (input.value.trim() === q) show(body.results || []); })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (list.hidden && items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
        if (items.length) choose((active + 1) % items.length);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        if (items.length) choose(active <= 0 ? items.length - 1 : active - 1);
      } else if (e.key === "Enter" && active >= 0 && !list.hidden) {
        e.preventDefault();
        window.location.href = items[active].url;
      } else if (e.key === "Escape") {
        if (!list.hidden) { e.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  });
})();
