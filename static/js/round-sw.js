// The rounds' service worker (served as /director/rounds/sw.js, so it looks after the rounds pages):
// it keeps the last copy of each walk page and the static files it needs, so that reloading a walk
// without the network opens it again (round.js then puts back the taps kept on the tablet). Every
// other request goes to the network as usual; answers are never cached.
"use strict";

var CACHE = "intranet-rounds";
var WALK = /\/director\/rounds\/\d+$/;

// what every walk page loads: kept at install, so the first reload without the network finds them
var ASSETS = ["/static/css/app.css", "/static/css/round.css", "/static/js/htmx.min.js", "/static/js/app.js",
              "/static/js/round.js"];

self.addEventListener("install", function (event) {
  self.skipWaiting();
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); }).catch(function () {}));
});
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function keep(key, response) {
  if (!response.ok || response.redirected) return;
  var copy = response.clone();
  caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var walkPage = request.mode === "navigate" && WALK.test(url.pathname);
  var asset = url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/photos/") === 0;
  if (!walkPage && !asset) return;
  var key = walkPage ? url.pathname : request;
  event.respondWith(fetch(request).then(function (response) {
    keep(key, response);
    return response;
  }, function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(key); }).then(function (found) {
      if (!found) return Response.error();
      if (!walkPage) return found;
      // the page says it is the kept copy: round.js then also shows the taps already sent since
      return found.text().then(function (html) {
        return new Response(html.replace("data-round-walk", "data-round-walk data-from-cache"),
                            { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    });
  }));
});
