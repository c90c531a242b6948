/* Azukari service worker. Precaches the shell (the same for everyone). Pages are personal and are not cached,
   with two exceptions: the resident's last feed (/feed) and pass (/pass/, with its offline codes), each kept in
   its own cache when the server marks the response with `X-Azukari-Offline: feed` or `pass` (only a logged-in
   resident's full page gets it). One entry each, under the fixed URL, replaced at each load: the last one loaded
   on this device. Pages for logged-out visitors (the logout
   page, the login page) delete every azukari-personal* cache (static/js/app.js), so the next user of the device
   never gets it. Offline, a navigation to / or /feed is answered from it, else the offline page. */
const SHELL_CACHE = "azukari-shell-{{ shell|join(',')|hash_short }}";
const SHELL = {{ shell|tojson }};
const OFFLINE_URL = "{{ url_for('pwa.offline') }}";
const FEED_CACHE = "azukari-personal-feed";
const FEED_URL = "{{ url_for('recommend.index') }}";
const KEPT = { feed: { cache: FEED_CACHE, url: FEED_URL },
               pass: { cache: "azukari-personal-pass", url: "{{ url_for('passes.show') }}" } };

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
    // Network for pages; offline, the kept feed for / and /feed, the kept pass for /pass/, else the offline page.
    event.respondWith(
      fetch(request)
        .then((response) => {
          const kept = KEPT[response.headers.get("X-Azukari-Offline")];
          if (kept && url.pathname === kept.url && response.status === 200) {
            const copy = response.clone();
            event.waitUntil(caches.open(kept.cache).then((cache) => cache.put(kept.url, copy)));
          }
          return response;
        })
        .catch(() => {
          const kept = (url.pathname === "/" || url.pathname === FEED_URL) ? KEPT.feed
            : (url.pathname === KEPT.pass.url ? KEPT.pass : null);
          const hit = kept ? caches.open(kept.cache).then((cache) => cache.match(kept.url)) : Promise.resolve(undefined);
          return hit.then((found) => found || caches.match(OFFLINE_URL));
        })
    );
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Static files carry a content hash in their URL: cache first is safe.
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
