// Refresh: with JavaScript on and the page served (http or https), fetch this same URL every
// data-refresh seconds and swap the content in, keeping which plan changes are open. Opened as a
// file, nothing is fetched: the page says so. Ages of running jobs tick up between refreshes.
(function () {
  "use strict";
  var every = Number(document.body.getAttribute("data-refresh")) || 0;
  var note = document.getElementById("refresh-note");
  function say(text, stale) {
    if (note) { note.textContent = text; note.className = stale ? "note stale" : "note"; }
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    var m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    if (d) { return d + "d " + pad(h) + "h"; }
    if (h) { return h + "h " + pad(m) + "m"; }
    if (m) { return m + "m " + pad(s) + "s"; }
    return s + "s";
  }
  function tickAges() {
    var ages = document.querySelectorAll(".age[data-since]");
    for (var i = 0; i < ages.length; i++) {
      var since = Date.parse(ages[i].getAttribute("data-since"));
      if (!isNaN(since)) { ages[i].textContent = duration((Date.now() - since) / 1000); }
    }
  }
  setInterval(tickAges, 1000);
  if (!every) { return; }
  if (!/^https?:$/.test(location.protocol) || !window.fetch || !window.DOMParser) {
    say("(opened as a file: reload to see newer data)", false);
    return;
  }
  say("· refreshes every " + every + " s", false);
  function openState() {
    var state = {};
    var all = document.querySelectorAll("details[id]");
    for (var i = 0; i < all.length; i++) { state[all[i].id] = all[i].open; }
    return state;
  }
  function refresh() {
    fetch(location.href, { cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (text) {
        var parsed = new DOMParser().parseFromString(text, "text/html");
        var fresh = parsed.getElementById("content");
        var current = document.getElementById("content");
        if (!fresh || !current) { throw new Error("not a status page"); }
        var state = openState();
        current.replaceWith(document.importNode(fresh, true));
        if (parsed.title) { document.title = parsed.title; }
        for (var id in state) {
          var details = document.getElementById(id);
          if (details) { details.open = state[id]; }
        }
        tickAges();
        say("· refreshed at " + new Date().toLocaleTimeString() + ", every " + every + " s", false);
      })
      .catch(function (error) {
        say("· could not refresh (" + error.message + "); showing older data", true);
      })
      .then(function () { setTimeout(refresh, every * 1000); });
  }
  setTimeout(refresh, every * 1000);
})();
