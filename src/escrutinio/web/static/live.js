// Live updates without a reload: listen for new bulletins (server-sent events, or polling
// where EventSource is missing or keeps failing), re-fetch this page and bring its <main> up to
// date in place: only the text and attributes that changed are touched, so the element that has
// the keyboard focus, the scroll position and any opened disclosure stay as the reader left them.
// A banner names the bulletin and its cut-off (announced by the aria-live region) until dismissed.
// Without JavaScript the pages still work.
(function () {
  "use strict";
  var body = document.body;
  if (body.dataset.live !== "on") return;
  var current = parseInt(body.dataset.bulletin || "0", 10);
  var polling = null;
  var banner = document.getElementById("live-banner");

  function announce(event) {
    var local = (event.cut_off_local || "").slice(11, 16);
    document.getElementById("live").textContent =
      body.dataset.announce.replace("{n}", event.number).replace("{time}", local);
    if (banner) banner.dataset.shown = "yes";
  }

  if (banner) {
    banner.querySelector("button").addEventListener("click", function () {
      document.getElementById("live").textContent = "";
      banner.dataset.shown = "no";
      document.getElementById("main").focus({ preventScroll: true });
    });
  }

  function sameKind(a, b) {
    return a.nodeType === b.nodeType && a.nodeName === b.nodeName &&
      (a.nodeType !== 1 || (a.id || "") === (b.id || ""));
  }

  function syncAttributes(old, fresh) {
    var i, name;
    for (i = old.attributes.length - 1; i >= 0; i--) {
      name = old.attributes[i].name;
      if (name !== "open" && !fresh.hasAttribute(name)) old.removeAttribute(name);
    }
    for (i = 0; i < fresh.attributes.length; i++) {
      name = fresh.attributes[i].name;
      if (name !== "open" && old.getAttribute(name) !== fresh.attributes[i].value) {
        old.setAttribute(name, fresh.attributes[i].value);
      }
    }
  }

  // Make `old` look like `fresh`, keeping every node that is still there (and so the focus on it).
  function morph(old, fresh) {
    if (old.nodeType === 3 || old.nodeType === 8) {
      if (old.nodeValue !== fresh.nodeValue) old.nodeValue = fresh.nodeValue;
      return;
    }
    if (old.nodeType !== 1 || old.hasAttribute("data-live-skip")) return;  // the timeline keeps itself live
    syncAttributes(old, fresh);
    var kids = Array.prototype.slice.call(old.childNodes);
    var wanted = Array.prototype.slice.call(fresh.childNodes);
    for (var i = 0; i < wanted.length; i++) {
      var have = kids[i];
      if (have && sameKind(have, wanted[i])) morph(have, wanted[i]);
      else if (have) old.replaceChild(document.importNode(wanted[i], true), have);
      else old.appendChild(document.importNode(wanted[i], true));
    }
    for (var j = kids.length - 1; j >= wanted.length; j--) old.removeChild(kids[j]);
  }

  // Every open page hears of a bulletin at the same moment: each waits a random moment (up to JITTER_MS)
  // before fetching it, so that the server sees a spread of requests rather than one wave.
  var JITTER_MS = 2000;

  function refresh(event) {
    if (!event || event.number <= current) return;
    current = event.number;
    window.setTimeout(function () { load(event); }, Math.random() * JITTER_MS);
  }

  function load(event) {
    // no-cache: revalidate (ETag) rather than take the copy the browser keeps for max-age
    fetch(window.location.href, { headers: { "X-Requested-With": "live" }, cache: "no-cache" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        if (fresh) morph(document.getElementById("main"), fresh);
        body.dataset.bulletin = String(event.number);
        announce(event);
      });
  }

  function poll() {
    if (polling) return;
    polling = window.setInterval(function () {
      fetch("/api/v1/bulletins", { cache: "no-store" }).then(function (r) { return r.json(); })
        .then(function (heads) {
          if (!heads.length) return;
          var last = heads[heads.length - 1];
          refresh({ number: last.number, cut_off_local: "" });
        }).catch(function () {});
    }, 1500);
  }

  if (!window.EventSource) { poll(); return; }
  var failures = 0;
  var source = new EventSource("/api/v1/events");
  source.addEventListener("bulletin", function (e) { failures = 0; refresh(JSON.parse(e.data)); });
  source.onopen = function () { body.dataset.following = "yes"; };
  source.onerror = function () {
    delete body.dataset.following;
    failures += 1;
    if (failures >= 3) { source.close(); poll(); }
  };
})();
