/* The pass page offline. The page carries ten single-use offline codes (hidden). When the rotating code can no
   longer be refreshed — the phone is offline, or the page was answered from the service worker's copy — the
   offline section shows one of them; the resident moves to the next once a shop has scanned it. Which one is
   next is remembered per batch (the batch's issue time) in localStorage: an index, nothing personal. */
(function () {
  "use strict";
  var section = document.getElementById("pass-offline");
  var online = document.getElementById("pass-online");
  if (!section || !online) return;
  var STALE_MS = 120 * 1000; // the rotating code's minute and its grace minute
  var KEY = "azukari-pass-offline-next";
  var batch = section.dataset.issuedAt;
  var expires = Date.parse(section.dataset.expiresAt);
  var codes = section.querySelectorAll("[data-offline-code]");
  var position = section.querySelector("[data-offline-position]");
  var next = section.querySelector("[data-offline-next]");
  var empty = section.querySelector("[data-offline-empty]");

  function index() {
    try {
      var saved = JSON.parse(localStorage.getItem(KEY) || "{}");
      return saved.batch === batch ? saved.index : 0;
    } catch (e) { return 0; }
  }

  function remember(value) {
    try { localStorage.setItem(KEY, JSON.stringify({ batch: batch, index: value })); } catch (e) { /* private mode */ }
  }

  function stale() {
    var code = document.getElementById("pass-code");
    var rendered = code ? Date.parse(code.dataset.renderedAt) : 0;
    return !navigator.onLine || Date.now() - rendered > STALE_MS;
  }

  function render() {
    var offline = stale();
    online.hidden = offline;
    section.hidden = !offline;
    if (!offline) return;
    var current = index();
    var usable = Date.now() < expires && current < codes.length;
    codes.forEach(function (figure, i) { figure.hidden = !usable || i !== current; });
    next.hidden = !usable;
    empty.hidden = usable;
    position.textContent = usable ? (current + 1) + " / " + codes.length : "";
  }

  next.addEventListener("click", function () { remember(index() + 1); render(); });
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  document.body.addEventListener("htmx:afterSwap", render);
  setInterval(render, 15 * 1000);
  render();
})();
