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

  // Web Share: a share region (data-share-url, data-share-title, data-share-label) gets a button that opens the
  // phone's own share sheet; without navigator.share there is no button and the region's links do the sharing.
  function addShareButtons(root) {
    if (typeof navigator.share !== "function" || !root.querySelectorAll) return;
    var regions = Array.prototype.slice.call(root.querySelectorAll("[data-share-url]"));
    if (root.matches && root.matches("[data-share-url]")) regions.push(root);
    regions.forEach(function (region) {
      if (region.hasAttribute("data-share-ready")) return;
      region.setAttribute("data-share-ready", "");
      var title = region.getAttribute("data-share-title") || "";
      // The links send "title url"; here the url goes on its own and the share target joins them.
      var data = { title: title, text: title, url: region.getAttribute("data-share-url") };
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--primary";
      button.textContent = region.getAttribute("data-share-label");
      button.addEventListener("click", function () {
        navigator.share(data).catch(function (error) {
          // Closing the share sheet is an AbortError: nothing to do. Any other refusal: the links do the sharing.
          if (error && error.name !== "AbortError") button.remove();
        });
      });
      var actions = region.querySelector(".actions") || region;
      actions.insertBefore(button, actions.firstChild);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    addShareButtons(document);
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

  // Content htmx swapped in gets the same enhancements as the page it lands on.
  document.addEventListener("htmx:load", function (event) { addShareButtons(event.target); });

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

  // "Print" buttons (the event poster): no inline handler under the CSP.
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });
})();
