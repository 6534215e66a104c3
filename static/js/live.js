/* Live pages: one WebSocket per page (/ws/), subscribed to the topic named by
 * <body data-ws-topic="desk|queue|board|inbox" [data-ws-department="CGJ"]>.
 * On any event (or a gap in sequence numbers, or a "refetch" frame) the page fetches itself
 * and replaces #live-region's content: the server-rendered page stays the single source of
 * truth, so a missed event only delays an update. Without WebSocket the page still works. */
(function () {
  "use strict";
  var body = document.body;
  var holder = body.hasAttribute("data-ws-topic") ? body : document.querySelector("[data-ws-topic]");
  if (!holder || !("WebSocket" in window)) return;
  var page = holder.getAttribute("data-ws-topic") || "";
  var department = holder.getAttribute("data-ws-department") || "";
  var refetchOnUser = holder.hasAttribute("data-ws-user-refetch");
  var indicator = document.getElementById("live-indicator");
  var lastSeq = {};          // topic -> last seq applied
  var topic = null;          // the topic our subscription resolved to
  var delay = 1000;          // reconnect backoff, ms
  var refetching = false, again = false, opened = false;
  // The server sends {"type": "heartbeat"} every N seconds while events from every process can
  // reach this page; hearing nothing for 2N+ means the page may be out of date: say so.
  var heartbeat = parseFloat(document.body.getAttribute("data-ws-heartbeat") || "15") || 15;
  var lastHeard = 0, socketOpen = false;

  function setLive(on) {
    if (!on) holder.removeAttribute("data-ws-live");
    if (!indicator) return;
    indicator.hidden = false;
    indicator.classList.toggle("on", on);
    indicator.classList.toggle("off", !on);
    indicator.setAttribute("data-state", on ? "live" : "stale");
    var text = indicator.getAttribute(on ? "data-live-text" : "data-stale-text");
    if (text) indicator.textContent = text;
    var title = indicator.getAttribute(on ? "data-live-title" : "data-stale-title");
    if (title) indicator.title = title;
  }

  function heard() {
    lastHeard = Date.now();
    if (socketOpen) setLive(true);
  }

  setInterval(function () {
    if (socketOpen && Date.now() - lastHeard > 2 * heartbeat * 1000 + 1000) setLive(false);
  }, 1000);

  function refetch() {
    if (refetching) { again = true; return; }
    refetching = true;
    fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "live" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live-region"), here = document.getElementById("live-region");
        if (fresh && here) { here.innerHTML = fresh.innerHTML; }
        document.dispatchEvent(new CustomEvent("live:updated"));
      })
      .catch(function () { /* keep the page as it is; the next event tries again */ })
      .then(function () {
        refetching = false;
        if (again) { again = false; refetch(); }
      });
  }

  function onEvent(msg) {
    var t = msg.topic || "", seq = msg.seq;
    if (typeof seq === "number") {
      if (t in lastSeq && seq <= lastSeq[t]) return;   // replayed twice: already applied
      lastSeq[t] = seq;                                // (a gap needs nothing more: we refetch anyway)
    }
    if (t === topic || (refetchOnUser && t.indexOf("user.") === 0)) refetch();
  }

  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/");
    ws.onopen = function () {
      delay = 1000;
      socketOpen = true;
      heard();
      if (opened && refetchOnUser) refetch();          // personal events are not replayed
      opened = true;
      if (!page) return;
      var frame = { subscribe: page };
      if (department) frame.department = department;
      if (topic && topic in lastSeq) frame.resume_from = lastSeq[topic];
      ws.send(JSON.stringify(frame));
    };
    ws.onmessage = function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      heard();
      if (msg.type === "subscribed") {
        var had = msg.topic in lastSeq;
        topic = msg.topic;
        holder.setAttribute("data-ws-live", topic);   // subscribed: events for this page flow now
        // First connection: the page we hold is as new as this seq. Reconnect: the server
        // replays from our last seq (or tells us to refetch).
        if (!had && typeof msg.seq === "number") lastSeq[topic] = msg.seq;
        if (!had && msg.seq === null) refetch();
      } else if (msg.type === "refetch") {
        delete lastSeq[msg.topic];
        refetch();
      } else if (msg.type === "error") {
        if (window.console) console.warn("live:", msg.code, msg.message);
        if (msg.code === "forbidden" || msg.code === "unknown_subscription") setLive(false);
      } else if (msg.type === "pong" || msg.type === "heartbeat") {
        /* keep-alive: heard() above */
      } else {
        onEvent(msg);
      }
    };
    ws.onclose = function (e) {
      socketOpen = false;
      setLive(false);
      if (e.code === 4401) return;                   // signed out: reload shows the login page
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  setLive(false);
  connect();
})();
