// The director's round on a tablet, walked with or without the network (templates/director/walk.html).
//
// Every tap inside the walk — an answer, a photo, a note, a spot check, an overnight key, the finish —
// is first written to the tablet's IndexedDB queue, then sent in the order it was tapped, each with a
// one-time key (X-Round-Key: a re-send of a tap the server already applied changes nothing) and the
// time it was tapped (X-Round-At). A tap that cannot be sent stays in the queue: it is shown as kept
// on the tablet, survives a reload or a closed tab, and goes out when the network returns (the
// `online` event, every few seconds, and whenever a rounds page opens). Moving between the round's
// steps needs no network: they are all on the page. A service worker (round-sw.js) keeps the last
// copy of the walk page, so a reload without the network still opens it.
(function () {
  "use strict";

  var DB_NAME = "intranet-rounds";
  var STORE = "taps";
  var walk = document.querySelector("[data-round-walk]");
  var roundId = walk ? walk.getAttribute("data-round") : null;
  var fromCache = walk ? walk.hasAttribute("data-from-cache") : false;
  var canCache = "caches" in window && "serviceWorker" in navigator && window.isSecureContext;

  function msg(name) { return walk ? walk.getAttribute("data-msg-" + name) || "" : ""; }
  function toast(text, level) { if (window.intranetToast) window.intranetToast(text, level); }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ---------------------------------------------------------------- the queue (IndexedDB)
  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var store = request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
          store.createIndex("round", "round");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  function run(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var holder = {};
        work(transaction.objectStore(STORE), holder);
        transaction.oncomplete = function () { resolve(holder.result); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }
  function addTap(entry) {
    return run("readwrite", function (store, holder) {
      store.add(entry).onsuccess = function (event) { holder.result = event.target.result; };
    });
  }
  function tapsOf(round) {
    return run("readonly", function (store, holder) {
      var source = round ? store.index("round").getAll(String(round)) : store.getAll();
      source.onsuccess = function () {
        holder.result = source.result.sort(function (a, b) { return a.seq - b.seq; });
      };
    });
  }
  function removeTaps(seqs) {
    if (!seqs.length) return Promise.resolve();
    return run("readwrite", function (store) { seqs.forEach(function (seq) { store.delete(seq); }); });
  }
  function markSent(entry) {
    entry.sent = true;
    return run("readwrite", function (store) { store.put(entry); });
  }

  // ---------------------------------------------------------------- what a tap shows before it is sent
  var pending = {}; // element id → taps of it not yet sent
  var deferred = {}; // element id → the server's answer, waiting for the person to leave the field

  function itemState(item) {
    var kind = item.getAttribute("data-kind");
    var form = item.querySelector("form.rnd-answer");
    var value = "";
    if (kind === "pass_fail" || kind === "score") {
      var checked = form.querySelector("input[name=value]:checked");
      value = checked ? checked.value : "";
    } else {
      var field = form.querySelector("[name=value]");
      value = field ? field.value.trim() : "";
    }
    if (!value) return { answered: false, passed: null };
    if (kind === "pass_fail") return { answered: true, passed: value === "pass" };
    if (kind === "score") return { answered: true, passed: Number(value) >= 3, score: Number(value) };
    if (kind === "number") {
      var number = Number(value.replace(",", "."));
      if (!isFinite(number)) return { answered: false, passed: null };
      var low = item.getAttribute("data-min"), high = item.getAttribute("data-max");
      return { answered: true, passed: (low === null || number >= Number(low)) && (high === null || number <= Number(high)) };
    }
    return { answered: true, passed: null };
  }

  function photosOf(item) {
    return Number(item.getAttribute("data-photos") || 0) + item.querySelectorAll("img[data-local]").length;
  }

  function showItem(item) {
    var state = itemState(item);
    item.classList.toggle("is-answered", state.answered);
    item.classList.toggle("is-passed", state.passed === true);
    item.classList.toggle("is-failed", state.passed === false);
    var finding = item.querySelector("[data-rnd-finding]");
    if (finding) finding.hidden = state.passed !== false;
    var needsPhoto = state.passed === false && item.getAttribute("data-photo-on-fail") === "true" && !photosOf(item);
    var warning = item.querySelector("[data-rnd-photo-needed]");
    if (warning) warning.hidden = !needsPhoto;
    var camera = item.querySelector(".rnd-camera");
    if (camera) camera.classList.toggle("btn-danger", needsPhoto);
  }

  function markUnsent(element, unsent) {
    var form = element.matches("form") ? element : element.querySelector("form");
    if (!form) return;
    form.classList.toggle("is-unsaved", unsent);
    if (unsent) form.setAttribute("data-unsaved-short", msg("queued"));
  }

  function addThumb(item, file) {
    var box = item.querySelector("[data-rnd-thumbs]");
    if (!box || !file) return;
    var img = document.createElement("img");
    img.src = URL.createObjectURL(file);
    img.alt = "";
    img.setAttribute("data-local", "");
    box.appendChild(img);
    box.hidden = false;
  }

  // A queued tap put back on the page (after a reload): its values, its photo, "kept on this tablet".
  function replay(entry) {
    var element = entry.target && document.getElementById(entry.target);
    if (entry.kind === "finish") { if (!entry.sent) showFinishQueued(true); return; }
    if (!element) return;
    var form = element.matches("form") ? element : element.querySelector("form");
    entry.fields.forEach(function (pair) {
      var field = form && form.elements.namedItem(pair[0]);
      if (!field || pair[0] === "csrf_token") return;
      if (field instanceof RadioNodeList || field.type === "radio") {
        Array.prototype.forEach.call(form.querySelectorAll("input[name='" + pair[0] + "']"), function (radio) {
          radio.checked = radio.value === pair[1];
        });
      } else if (field.type !== "file" && field.type !== "submit") {
        field.value = pair[1];
      }
    });
    if (element.classList.contains("rnd-item")) {
      entry.files.forEach(function (file) { addThumb(element, file[1]); });
      showItem(element);
    }
    if (!entry.sent) {
      pending[element.id] = (pending[element.id] || 0) + 1;
      markUnsent(element, true);
    }
  }

  // ---------------------------------------------------------------- progress, steps and score, counted here
  function fraction(item, state) {
    var kind = item.getAttribute("data-kind");
    if (!state.answered || kind === "text" || state.passed === null) return null;
    if (kind === "score") return (state.score - 1) / 4;
    return state.passed ? 1 : 0;
  }

  function recount() {
    if (!walk) return;
    var items = walk.querySelectorAll(".rnd-item");
    var answered = 0, weighted = 0, weights = 0, byArea = {};
    Array.prototype.forEach.call(items, function (item) {
      var state = itemState(item);
      var area = byArea[item.getAttribute("data-area")] || (byArea[item.getAttribute("data-area")] = { n: 0, answered: 0, failed: 0 });
      area.n += 1;
      if (state.answered) { answered += 1; area.answered += 1; }
      if (state.passed === false) area.failed += 1;
      var share = fraction(item, state);
      if (share !== null) {
        var weight = Number(item.getAttribute("data-weight") || 1);
        weighted += weight * share;
        weights += weight;
      }
    });
    var progress = walk.querySelector("#rnd-progress");
    if (progress) {
      var text = progress.getAttribute("data-pattern").replace("11111", answered).replace("22222", items.length);
      if (weights) text += " · " + progress.getAttribute("data-score-pattern").replace("{score}", (Math.round(1000 * weighted / weights) / 10).toFixed(1));
      progress.querySelector("[data-rnd-progress-text]").textContent = text;
      progress.querySelector(".rnd-bar span").style.width = (items.length ? Math.round(100 * answered / items.length) : 0) + "%";
    }
    Array.prototype.forEach.call(walk.querySelectorAll(".rnd-step"), function (step) {
      var area = byArea[step.getAttribute("data-step")];
      var count = step.querySelector("[data-rnd-count]");
      if (!area || !count) return;
      count.textContent = area.answered + "/" + area.n + (area.failed ? " · " : "");
      if (area.failed) {
        var bold = document.createElement("b");
        bold.textContent = area.failed + "✗";
        count.appendChild(bold);
      }
      step.classList.toggle("is-complete", area.answered === area.n);
      step.classList.toggle("has-failed", area.failed > 0);
    });
  }

  // ---------------------------------------------------------------- moving between steps, offline
  var panes = walk ? Array.prototype.slice.call(walk.querySelectorAll(".rnd-pane")) : [];
  var order = panes.map(function (pane) { return pane.getAttribute("data-step"); });

  function stepUrl(step) {
    var url = new URL(window.location.href);
    url.searchParams.set("area", step);
    return url.pathname + url.search;
  }

  function show(step) {
    var at = order.indexOf(step);
    if (at < 0) return;
    panes.forEach(function (pane) { pane.hidden = pane.getAttribute("data-step") !== step; });
    Array.prototype.forEach.call(walk.querySelectorAll(".rnd-step"), function (link) {
      var current = link.getAttribute("data-step") === step;
      link.classList.toggle("is-current", current);
      if (current) link.setAttribute("aria-current", "step"); else link.removeAttribute("aria-current");
    });
    var previous = walk.querySelector("[data-rnd-prev]"), next = walk.querySelector("[data-rnd-next]");
    var spacer = walk.querySelector("[data-rnd-spacer]"), finish = walk.querySelector("[data-rnd-finish]");
    if (previous) {
      previous.hidden = at === 0;
      if (at > 0) { previous.href = stepUrl(order[at - 1]); previous.setAttribute("data-step", order[at - 1]); }
    }
    if (spacer) spacer.hidden = at > 0;
    if (next) {
      next.hidden = at === order.length - 1;
      if (at < order.length - 1) { next.href = stepUrl(order[at + 1]); next.setAttribute("data-step", order[at + 1]); }
    }
    if (finish) finish.hidden = at < order.length - 1;
    Array.prototype.forEach.call(walk.querySelectorAll("[data-rnd-area]"), function (input) { input.value = step; });
    history.replaceState(history.state, "", stepUrl(step));
    window.scrollTo(0, 0);
  }

  // ---------------------------------------------------------------- taking a tap
  function kindOf(form) {
    if (form.closest(".rnd-item")) return "answer";
    if (form.closest(".ofc-spot")) return "spot";
    if (form.classList.contains("ovn-row")) return "key";
    return "other";
  }

  function take(form, url, target, submitter, kind) {
    var data = submitter ? new FormData(form, submitter) : new FormData(form);
    var fields = [], files = [];
    data.forEach(function (value, name) {
      if (name === "csrf_token") return;
      if (value instanceof File) {
        if (value.size) files.push([name, value, value.name || "photo.jpg"]);
      } else {
        fields.push([name, value]);
      }
    });
    var entry = { round: String(roundId || ""), key: newKey(), kind: kind, url: url, target: target ? target.id : null,
                  fields: fields, files: files, at: Date.now(), sent: false };
    if (submitter && submitter.name) {  // a choice of buttons (a card up to date or not): the one tapped shows
      Array.prototype.forEach.call(form.querySelectorAll("button[name='" + submitter.name + "']"), function (button) {
        button.classList.toggle("is-on", button === submitter);
      });
    }
    if (target) {
      pending[target.id] = (pending[target.id] || 0) + 1;
      markUnsent(target, true);
      if (target.classList.contains("rnd-item")) {
        files.forEach(function (file) { addThumb(target, file[1]); });
        Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) { input.value = ""; });
        showItem(target);
      }
    }
    recount();
    return addTap(entry).then(function (seq) { entry.seq = seq; flush(); }, function () {
      toast(document.body.getAttribute("data-msg-not-saved"), "error");
    });
  }

  if (walk) {
    // every htmx request of the walk goes through the queue instead
    document.body.addEventListener("htmx:confirm", function (event) {
      var elt = event.detail.elt;
      if (!elt || !walk.contains(elt) || (event.detail.verb || "").toLowerCase() !== "post") return;
      event.preventDefault();
      var form = elt.closest("form") || elt;
      var trigger = event.detail.triggeringEvent;
      take(form, event.detail.path, event.detail.target, trigger && trigger.submitter, kindOf(form));
    });

    walk.addEventListener("click", function (event) {
      var link = event.target.closest("a.rnd-step, a[data-rnd-prev], a[data-rnd-next]");
      if (!link || !link.getAttribute("data-step")) return;
      event.preventDefault();
      show(link.getAttribute("data-step"));
    });

    walk.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.hasAttribute("data-rnd-finish")) {
        event.preventDefault();
        finishRound(form);
      } else if (form.hasAttribute("data-rnd-pause") && !navigator.onLine) {
        event.preventDefault();
        toast(msg("offline-pause"), "error");
      }
    });

    // a field left while its server answer waited: show that answer now
    walk.addEventListener("focusout", function (event) {
      var item = event.target.closest && event.target.closest("[id]");
      setTimeout(function () { if (item && deferred[item.id]) swapIn(item.id, null); }, 0);
    });
  }

  function finishError(text) {
    var box = walk.querySelector("[data-rnd-finish-error]");
    box.textContent = text || "";
    box.hidden = !text;
    if (text) box.scrollIntoView({ block: "center" });
  }

  function showFinishQueued(on) {
    var note = walk.querySelector("[data-rnd-queue]");
    note.textContent = on ? msg("finish-queued") : "";
    note.hidden = !on;
    var finish = walk.querySelector("[data-rnd-finish] button");
    if (finish) finish.disabled = on;
  }

  function finishRound(form) {
    var items = Array.prototype.slice.call(walk.querySelectorAll(".rnd-item"));
    var open = items.filter(function (item) { return !itemState(item).answered; });
    if (open.length) {
      finishError(msg("unanswered").replace("11111", open.length).replace("22222", items.length));
      show(open[0].getAttribute("data-area"));
      open[0].scrollIntoView({ block: "center" });
      return;
    }
    var photoless = items.filter(function (item) {
      return itemState(item).passed === false && item.getAttribute("data-photo-on-fail") === "true" && !photosOf(item);
    });
    if (photoless.length) {
      finishError(msg("photo-missing").replace("{items}", photoless.map(function (item) { return item.getAttribute("data-text"); }).join("、")));
      return;
    }
    finishError("");
    showFinishQueued(true);
    take(form, form.getAttribute("action"), null, null, "finish");
  }

  // ---------------------------------------------------------------- sending the queue
  var flushing = false, again = false;

  function flush() {
    if (flushing) { again = true; return; }
    flushing = true;
    again = false;
    var sentAny = false, goTo = null;
    tapsOf(roundId).then(function (entries) {
      var unsent = entries.filter(function (entry) { return !entry.sent; });
      function next(i) {
        if (i >= unsent.length) return "done";
        return send(unsent[i]).then(function (outcome) {
          if (outcome === "keep") return "kept";
          sentAny = true;
          if (typeof outcome === "object" && outcome.goTo) goTo = outcome.goTo;
          return next(i + 1);
        });
      }
      return next(0);
    }).then(function (how) {
      if (goTo) { window.location.assign(goTo); return; }
      if (sentAny && how === "done") return refreshCopy();
    }).catch(function () { /* IndexedDB unavailable: nothing to send */ })
      .then(function () {
        flushing = false;
        showKept();
        if (again) flush();
      });
  }

  function send(entry) {
    var body = new FormData();
    entry.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    entry.files.forEach(function (file) { body.append(file[0], file[1], file[2]); });
    body.append("csrf_token", csrf());
    var headers = { "HX-Request": "true", "X-CSRFToken": csrf(), "X-Round-Key": entry.key, "X-Round-At": String(entry.at) };
    if (entry.target) headers["HX-Target"] = entry.target;
    return fetch(entry.url, { method: "POST", body: body, headers: headers, credentials: "same-origin" }).then(function (response) {
      document.body.classList.remove("is-offline");
      return response.text().then(function (html) { return answered(entry, response, html); });
    }, function () {
      document.body.classList.add("is-offline");
      return "keep";
    });
  }

  function answered(entry, response, html) {
    var status = response.status;
    if (status === 401 || status === 0) return "keep"; // signed out: kept until the director signs in again
    var trigger = response.headers.get("HX-Trigger");
    if (trigger) {
      try {
        var events = JSON.parse(trigger);
        Object.keys(events).forEach(function (name) {
          document.body.dispatchEvent(new CustomEvent(name, { detail: events[name] }));
        });
      } catch (e) { /* a plain event name */ }
    }
    var done = canCache ? markSent(entry) : removeTaps([entry.seq]);
    return done.then(function () {
      if (entry.target && pending[entry.target]) pending[entry.target] -= 1;
      if (entry.kind === "finish") {
        if (status === 200 && response.redirected) return { goTo: response.url };
        if (walk) {
          showFinishQueued(false);
          var page = new DOMParser().parseFromString(html, "text/html");
          var error = page.querySelector("[data-rnd-finish-error]");
          finishError(error ? error.textContent.trim() : msg("refused").replace("{status}", status));
        }
        return "sent";
      }
      if (status === 200 || status === 409 || status === 422) {
        if (walk && entry.target) swapIn(entry.target, html);
      } else {
        toast(msg("refused").replace("{status}", status) || document.body.getAttribute("data-msg-not-saved"), "error");
        var element = entry.target && document.getElementById(entry.target);
        if (element && !pending[entry.target]) markUnsent(element, false);
      }
      return "sent";
    });
  }

  // The server's answer replaces the element — unless another tap of it is still queued (that one's
  // answer follows) or the director is typing in it (it waits until they leave the field).
  function swapIn(id, html) {
    var element = document.getElementById(id);
    var fresh;
    if (html === null) {
      fresh = deferred[id];
    } else {
      var page = new DOMParser().parseFromString(html, "text/html");
      fresh = page.getElementById(id);
    }
    delete deferred[id];
    if (!element || !fresh) return;
    if (pending[id]) return;
    var focused = document.activeElement;
    if (focused && element.contains(focused) && focused.matches("textarea, input[type=text], input:not([type])")) {
      deferred[id] = fresh;
      return;
    }
    var copy = document.importNode(fresh, true);
    element.replaceWith(copy);
    if (window.htmx) window.htmx.process(copy);
    recount();
  }

  // The walk page as the server has it now, kept by the service worker for a reload without network;
  // the taps it already holds are no longer needed on the tablet.
  function refreshCopy() {
    if (!walk) return removeSent();
    if (!canCache) return Promise.resolve();
    var url = window.location.pathname;
    return tapsOf(roundId).then(function (entries) {
      var sent = entries.filter(function (entry) { return entry.sent; }).map(function (entry) { return entry.seq; });
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok || response.redirected) return null;
        return caches.open("intranet-rounds").then(function (cache) { return cache.put(url, response); })
          .then(function () { return removeTaps(sent); });
      }, function () { return null; });
    });
  }

  function removeSent() {
    return tapsOf(roundId).then(function (entries) {
      return removeTaps(entries.filter(function (entry) { return entry.sent; }).map(function (entry) { return entry.seq; }));
    });
  }

  function showKept() {
    if (!walk) return;
    tapsOf(roundId).then(function (entries) {
      var kept = entries.filter(function (entry) { return !entry.sent && entry.kind !== "finish"; }).length;
      var finishing = entries.some(function (entry) { return !entry.sent && entry.kind === "finish"; });
      var note = walk.querySelector("[data-rnd-queue]");
      if (finishing) { showFinishQueued(true); return; }
      note.textContent = kept ? msg("kept").replace("{n}", kept) : "";
      note.hidden = !kept;
    }).catch(function () {});
  }

  // ---------------------------------------------------------------- start
  if (walk) {
    // a copy of the page kept by the tablet opens on the step the address names
    var asked = new URL(window.location.href).searchParams.get("area");
    var visible = panes.filter(function (pane) { return !pane.hidden; })[0];
    if (asked && visible && visible.getAttribute("data-step") !== asked && order.indexOf(asked) >= 0) show(asked);
    var banner = document.querySelector(".offline-banner");
    if (banner && msg("offline")) banner.textContent = msg("offline");
    if (walk.getAttribute("data-editable") !== "true") {
      removeSent().catch(function () {}).then(flush);
    } else {
      tapsOf(roundId).then(function (entries) {
        // a page fresh from the server already holds the taps that were sent: put back only the rest
        var keep = fromCache ? entries : entries.filter(function (entry) { return !entry.sent; });
        keep.forEach(replay);
        recount();
        showKept();
        if (!fromCache) return removeTaps(entries.filter(function (entry) { return entry.sent; }).map(function (entry) { return entry.seq; }));
      }).catch(function () {}).then(function () {
        flush();
        if (canCache && !fromCache) refreshCopy();
      });
    }
    if (canCache && walk.getAttribute("data-sw")) {
      navigator.serviceWorker.register(walk.getAttribute("data-sw"), { scope: walk.getAttribute("data-sw").replace(/[^/]*$/, "") })
        .catch(function () { /* no offline reload, the queue still works */ });
    }
  } else if (window.indexedDB) {
    // another rounds page: send what a closed walk left behind
    flush();
  }
  window.addEventListener("online", flush);
  setInterval(function () { if (navigator.onLine) flush(); }, 4000);
})();
