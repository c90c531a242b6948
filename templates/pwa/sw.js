/* Azukari service worker. Precaches the shell (the same for everyone); pages are personal and are never
   cached here, so offline navigation shows the offline page, never another user's page. */
const SHELL_CACHE = "azukari-shell-{{ shell|join(',')|hash_short }}";
const SHELL = {{ shell|tojson }};
const OFFLINE_URL = "{{ url_for('pwa.offline') }}";

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
    // Network only for pages; the offline page when the network fails.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Static files carry a content hash in their URL: cache first is safe.
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
