// The live coverage timeline, live. Each new or changed entry arrives as a server-sent event
// (or by polling ?since= where EventSource is missing or keeps failing); its HTML comes from
// /timeline/fragments/{id}, rendered by the same macro as the page. A correction, a pin, a
// tombstone or an approved comment replaces the entry where it stands. A new entry goes on top
// while the reader is above the list; once they have scrolled into it, new entries wait behind
// a "Show N new updates" button, so nothing moves under them. Either way the aria-live region
// announces "N new updates". Without JavaScript the page still shows everything on reload.
(function () {
  "use strict";
  function block() { return document.querySelector("[data-timeline]"); }
  var current = block();
  if (!current) return;
  var revision = parseInt(current.dataset.revision || "0", 10);
  var waiting = [];   // new entries held behind the button, as <article> nodes
  var arrived = 0;    // new entries not yet announced
  var quiet = null;
  var polling = null;

  function here() {
    var now = block();
    if (now !== current) { current = now; waiting = []; }  // live.js swapped <main>: a fresh render holds all
    return now;
  }

  function text(key, n) {
    var b = here();
    return (n === 1 ? b.dataset[key + "One"] : b.dataset[key + "Many"]).replace("{n}", n);
  }

  function announce() {
    window.clearTimeout(quiet);
    quiet = window.setTimeout(function () {  // entries arriving together are announced together
      var b = here();
      if (!b || !arrived) return;
      b.querySelector(".tl-announce").textContent = text("new", arrived);
      arrived = 0;
    }, 300);
  }

  function showButton() {
    var button = here().querySelector(".tl-show");
    button.hidden = !waiting.length;
    if (waiting.length) button.textContent = text("show", waiting.length);
  }

  function posted(node) { return Date.parse(node.dataset.posted); }

  function readerIsAbove() {
    return here().querySelector(".tl-entries").getBoundingClientRect().top >= 0;
  }

  // A pin holds until a later bulletin supersedes it (as the server renders it): the entry goes back to its
  // place in time, below that bulletin.
  function supersede(bulletin) {
    var pinned = here().querySelectorAll(".tl-pinned article");
    for (var i = 0; i < pinned.length; i++) {
      var old = pinned[i];
      if (posted(old) >= posted(bulletin)) continue;
      old.parentNode.parentNode.removeChild(old.parentNode);
      old.dataset.pinned = "no";
      old.classList.remove("pinned");
      var badge = old.querySelector(".tl-badge-pin");
      if (badge) badge.parentNode.removeChild(badge);
      place(old);
    }
  }

  function place(node) {
    var b = here();
    if (node.classList.contains("kind-bulletin")) supersede(node);
    var list = b.querySelector(node.dataset.pinned === "yes" ? ".tl-pinned" : ".tl-entries");
    var item = document.createElement("li");
    item.appendChild(node);
    var before = null;
    for (var i = 0; i < list.children.length; i++) {
      var other = list.children[i].querySelector("article");
      if (other && posted(other) < posted(node)) { before = list.children[i]; break; }
    }
    list.insertBefore(item, before);
    var limit = parseInt(b.dataset.limit || "0", 10);
    var stream = b.querySelector(".tl-entries");
    while (limit && stream.children.length > limit) stream.removeChild(stream.lastElementChild);
    var empty = b.querySelector(".tl-empty");
    if (empty) empty.parentNode.removeChild(empty);
  }

  function show(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var node = holder.content.firstElementChild;
    if (!node || !here()) return;
    var version = parseInt(node.dataset.revision, 10);
    var old = document.getElementById(node.id);
    if (old) {
      if (parseInt(old.dataset.revision, 10) >= version) return;
      if (old.dataset.pinned === node.dataset.pinned) { old.parentNode.replaceChild(node, old); return; }
      old.parentNode.parentNode.removeChild(old.parentNode);  // pinned or unpinned: it moves
      place(node);
      return;
    }
    for (var i = 0; i < waiting.length; i++) {
      if (waiting[i].id === node.id) {
        if (parseInt(waiting[i].dataset.revision, 10) < version) waiting[i] = node;
        return;
      }
    }
    node.classList.add("tl-fresh");
    arrived += 1;
    if (readerIsAbove() && !waiting.length) place(node);
    else { waiting.push(node); showButton(); }
    announce();
  }

  function handle(entry) {
    if (entry.revision > revision) revision = entry.revision;
    var b = here();
    if (!b) return;
    var url = "/timeline/fragments/" + entry.id + "?compact=" + (b.dataset.compact === "yes" ? "1" : "0") +
      "&lang=" + encodeURIComponent(b.dataset.lang) + "&rev=" + entry.revision;
    fetch(url).then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { if (html) show(html); }).catch(function () {});
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".tl-show");
    if (!button) return;
    var shown = waiting.sort(function (a, b) { return posted(a) - posted(b); });
    waiting = [];
    shown.forEach(place);
    showButton();
    var newest = shown[shown.length - 1];
    if (newest) newest.focus();  // keyboard and screen-reader users land on what they asked to see
  });

  function poll() {
    if (polling) return;
    polling = window.setInterval(function () {
      fetch("/api/v1/timeline?since=" + revision).then(function (r) { return r.json(); })
        .then(function (page) { page.entries.forEach(handle); revision = Math.max(revision, page.last); })
        .catch(function () {});
    }, 3000);
  }

  if (!window.EventSource) { poll(); return; }
  var failures = 0;
  var source = new EventSource("/api/v1/timeline/events?since=" + revision);
  source.addEventListener("hello", function () { failures = 0; here().dataset.following = "yes"; });
  source.addEventListener("entry", function (e) { failures = 0; handle(JSON.parse(e.data)); });
  source.onerror = function () { failures += 1; if (failures >= 3) { source.close(); poll(); } };
})();
