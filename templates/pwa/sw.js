/* Azukari service worker. Precaches the shell (the same for everyone). Pages are personal and are not cached,
   with one exception: the resident's last feed (/feed), kept in FEED_CACHE when the server marks the response
   with `X-Azukari-Offline: feed` (only a logged-in resident's full page gets it). One entry, under the fixed key
   /feed, replaced at each load: the last feed loaded on this device. Pages for logged-out visitors (the logout
   page, the login page) delete every azukari-personal* cache (static/js/app.js), so the next user of the device
   never gets it. Offline, a navigation to / or /feed is answered from it, else the offline page. */
const SHELL_CACHE = "azukari-shell-{{ shell|join(',')|hash_short }}";
const SHELL = {{ shell|tojson }};
const OFFLINE_URL = "{{ url_for('pwa.offline') }}";
const FEED_CACHE = "azukari-personal-feed";
const FEED_URL = "{{ url_for('recommend.index') }}";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("azukari-shell-") && k !== SHELL_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Network for pages; offline, the kept feed for / and /feed, else the offline page.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (url.pathname === FEED_URL && response.status === 200 && response.headers.get("X-Azukari-Offline") === "feed") {
            const copy = response.clone();
            event.waitUntil(caches.open(FEED_CACHE).then((cache) => cache.put(FEED_URL, copy)));
          }
          return response;
        })
        .catch(() => {
          const kept = (url.pathname === "/" || url.pathname === FEED_URL)
            ? caches.open(FEED_CACHE).then((cache) => cache.match(FEED_URL)) : Promise.resolve(undefined);
          return kept.then((hit) => hit || caches.match(OFFLINE_URL));
        })
    );
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Static files carry a content hash in their URL: cache first is safe.
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
