// Live updates without a reload: listen for new bulletins (server-sent events, or polling
// where EventSource is missing or keeps failing), re-fetch this page, swap its <main>,
// and announce the bulletin in the aria-live region. Without JavaScript the pages still work.
(function () {
  "use strict";
  var body = document.body;
  if (body.dataset.live !== "on") return;
  var current = parseInt(body.dataset.bulletin || "0", 10);
  var polling = null;

  function announce(event) {
    var local = (event.cut_off_local || "").slice(11, 16);
    document.getElementById("live").textContent =
      body.dataset.announce.replace("{n}", event.number).replace("{time}", local);
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
        if (fresh) document.getElementById("main").innerHTML = fresh.innerHTML;
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
