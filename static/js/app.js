/* Azukari: small enhancements. Every page works without them (plain links and forms). */
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the site works without it */ });
    });
  }

  function clearPersonalCaches() {
    // Pages for a logged-out visitor (after logout, before login) drop whatever a previous user left.
    if (!("caches" in window)) return;
    // CacheStorage is shared with the service worker, so deleting here is enough.
    caches.keys().then(function (keys) {
      keys.filter(function (k) { return k.indexOf("azukari-personal") === 0; })
          .forEach(function (k) { caches.delete(k); });
    });
  }

  function showToast(message, level) {
    var region = document.getElementById("toasts");
    if (!region || !message) return;
    var toast = document.createElement("div");
    toast.className = "toast toast--" + (level || "error");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    var text = document.createElement("p");
    text.className = "toast__text";
    text.textContent = message;
    toast.appendChild(text);
    region.appendChild(toast);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    if (body.hasAttribute("data-clear-personal-cache")) clearPersonalCaches();

    var banner = document.getElementById("offline-banner");
    function updateOnline() { if (banner) banner.hidden = navigator.onLine; }
    window.addEventListener("online", updateOnline);
    window.addEventListener("offline", updateOnline);
    updateOnline();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-dismiss]");
    if (button) {
      var toast = button.closest(".toast");
      if (toast) toast.remove();
    }
  });

  // htmx: a request that never reached the server becomes a toast instead of silence.
  document.addEventListener("htmx:sendError", function () {
    showToast(document.body.getAttribute("data-network-error"), "error");
  });
  // A swap that removed the focused control (deleting a list item, say) moves focus to the region's own
  // heading (marked data-focus-after-swap), so keyboard and screen-reader users are not dropped at the top.
  document.addEventListener("htmx:afterSwap", function (event) {
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    var old = event.detail && event.detail.target;
    var region = (old && old.id && document.getElementById(old.id)) || document;
    var heading = region.querySelector("[data-focus-after-swap]");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  });
  // A 401 from an expired session carries HX-Redirect to the login page; htmx follows it.
})();
