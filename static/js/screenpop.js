/* Screen-pop for the agent desk (telephony).
 *
 * On a "call.ringing" desk event it shows who is calling, their past cases and how many are
 * still open, with an "answer" button (POST /telephony/desk/calls/<sid>/answer/). Answering
 * fills the intake form (#intake-form: citizen_phone, hidden call_sid, channel=hotline); an
 * idle form is filled as soon as the call rings. "call.answered" by someone else and
 * "call.ended" close the pop-up. After a registration the desk comes back with
 * ?done=<tracking_no>&call_sid=<sid>, and the case is linked to the call
 * (POST /telephony/desk/calls/<sid>/link/) — the server also links it by itself, so a lost
 * request costs nothing.
 *
 * A <div data-telephony-stats></div> on the page gets the desk figures, kept fresh.
 *
 * Events come from live.js as window "cc:event" (detail = the frame) when it sets
 * window.ccLiveEvents; otherwise this file opens its own /ws/ connection subscribed to "desk".
 */
(function () {
  "use strict";
  var en = (document.documentElement.lang || "").indexOf("en") === 0;
  var t = function (zh, english) { return en ? english : zh; };
  var pops = {};      // call_sid -> pop-up element
  var mine = {};      // call_sids this agent answered
  var seen = {};      // "type:call_sid" already handled (live.js and our socket may both deliver)
  var held = {};      // call_sid -> ringing data kept while this agent was busy or on break

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;  // never inject HTML
    return node;
  }

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, data: data }; });
    });
  }

  function container() {
    var box = document.getElementById("screenpop");
    if (box) return box;
    box = el("div", { id: "screenpop", "aria-live": "assertive" });
    document.body.appendChild(box);
    return box;
  }

  function form() { return document.getElementById("intake-form"); }

  function fillForm(data, force) {
    var f = form();
    if (!f) return;
    var phone = f.querySelector("[name=citizen_phone]");
    var sid = f.querySelector("[name=call_sid]");
    var busy = (phone && phone.value) || (sid && sid.value);
    if (busy && !force) return;  // the agent is typing another intake: do not overwrite it
    if (phone) {
      phone.value = data.phone || data.from || "";
      phone.dispatchEvent(new Event("input", { bubbles: true }));
      phone.dispatchEvent(new Event("change", { bubbles: true }));  // console.js shows the history
    }
    if (sid) sid.value = data.call_sid;
    var channel = f.querySelector("[name=channel]");
    if (channel && channel.querySelector("option[value=hotline]")) channel.value = "hotline";
  }

  function setStatus(pop, text) { pop.querySelector(".sp-status").textContent = text; }

  function close(sid, delay) {
    var pop = pops[sid];
    if (!pop) return;
    delete pops[sid];
    setTimeout(function () { if (pop.parentNode) pop.parentNode.removeChild(pop); }, delay || 0);
  }

  function ringing(data) {
    if (!data || !data.call_sid || pops[data.call_sid]) return;
    var pop = el("section", { "class": "screenpop", role: "dialog", "data-call-sid": data.call_sid,
                              "aria-label": t("来电", "Incoming call") });
    pop.appendChild(el("h2", {}, t("来电 ", "Call from ") + (data.phone || data.from || t("未知号码", "unknown number"))));
    pop.appendChild(el("p", { "class": "sp-status" }, t("振铃中", "Ringing")));
    pop.appendChild(el("p", { "class": "sp-summary" }, t("以往工单 ", "Past cases: ") + (data.cases || []).length
      + t(" 件，未办结 ", ", open: ") + (data.open_count || 0) + t(" 件", "")));
    if (data.cases && data.cases.length) {
      var list = el("ul", { "class": "sp-cases" });
      data.cases.forEach(function (c) {
        var li = el("li");
        li.appendChild(el("a", { href: "/console/cases/" + encodeURIComponent(c.tracking_no) + "/", target: "_blank" },
          c.tracking_no));
        li.appendChild(document.createTextNode(" " + (c.state_label || c.state) + " · " + c.title));
        list.appendChild(li);
      });
      pop.appendChild(list);
    }
    var answer = el("button", { type: "button", "class": "sp-answer" }, t("接听", "Answer"));
    var dismiss = el("button", { type: "button", "class": "secondary sp-dismiss" }, t("关闭", "Dismiss"));
    answer.addEventListener("click", function () {
      answer.disabled = true;
      post("/telephony/desk/calls/" + encodeURIComponent(data.call_sid) + "/answer/").then(function (res) {
        if (res.ok) {
          mine[data.call_sid] = true;
          setStatus(pop, t("通话中：请登记诉求", "On the call: register the matter"));
          fillForm(data, true);
          answer.remove();
        } else {
          setStatus(pop, (res.data.error && res.data.error.message) || t("无法接听", "Could not answer"));
          close(data.call_sid, 4000);
        }
      });
    });
    dismiss.addEventListener("click", function () { close(data.call_sid); });
    var actions = el("p");
    actions.appendChild(answer);
    actions.appendChild(dismiss);
    pop.appendChild(actions);
    container().appendChild(pop);
    pops[data.call_sid] = pop;
    fillForm(data, false);
  }

  function answered(data) {
    var pop = pops[data.call_sid];
    if (!pop || mine[data.call_sid]) return;
    setStatus(pop, t("已由 ", "Answered by ") + (data.agent_name || data.agent) + t(" 接听", ""));
    pop.querySelector(".sp-answer") && pop.querySelector(".sp-answer").remove();
    close(data.call_sid, 3000);
  }

  function ended(data) {
    var pop = pops[data.call_sid];
    if (!pop) return;
    setStatus(pop, data.abandoned ? t("来电人已挂断", "The caller hung up") : t("通话已结束", "Call ended"));
    var btn = pop.querySelector(".sp-answer");
    if (btn) btn.remove();
    if (!mine[data.call_sid]) close(data.call_sid, 3000);
  }

  // Desk figures (waiting, answered within 15 s, abandoned): the page holds
  // <div data-telephony-stats></div>; we fill it from /telephony/desk/stats/ and refresh it
  // when a call rings, is answered or ends.
  var statsTimer = null;
  function refreshStats(attempt) {
    var holders = document.querySelectorAll("[data-telephony-stats]");
    if (!holders.length) return;
    attempt = attempt || 0;
    clearTimeout(statsTimer);
    statsTimer = setTimeout(function () {
      fetch("/telephony/desk/stats/", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {  // our own server-rendered fragment, into every holder on the page
          Array.prototype.forEach.call(document.querySelectorAll("[data-telephony-stats]"), function (h) { h.innerHTML = html; });
        })
        .catch(function () { if (attempt < 3) refreshStats(attempt + 1); });  // else keep the last figures
    }, attempt ? 1000 * attempt : 300);
  }

  function handle(frame) {
    if (!frame || typeof frame.type !== "string" || frame.type.indexOf("call.") !== 0) return;
    refreshStats(0);
    var data = frame.data || {};
    var key = frame.type + ":" + data.call_sid;
    if (seen[key]) return;
    seen[key] = true;
    // desk.js (the call banner, agent status) follows the same calls.
    window.dispatchEvent(new CustomEvent("cc:call", { detail: frame }));
    if (frame.type === "call.ringing" && window.ccDesk && !window.ccDesk.offered()) {
      held[data.call_sid] = data;  // not idle: offered when the agent shows idle (offerHeld)
      return;
    }
    if (frame.type !== "call.ringing") delete held[data.call_sid];
    if (frame.type === "call.ringing") ringing(data);
    else if (frame.type === "call.answered") answered(data);
    else if (frame.type === "call.ended") ended(data);
  }

  // For tests and for live.js if it prefers calling us; ``listening`` is true while our own
  // socket is subscribed (or always, when live.js delivers the events).
  // offerHeld: the agent has just shown idle; the calls that rang meanwhile and still wait pop up.
  function offerHeld() {
    Object.keys(held).forEach(function (sid) { var data = held[sid]; delete held[sid]; ringing(data); });
  }
  var api = window.ccScreenpop = { handle: handle, listening: false, offerHeld: offerHeld };
  window.addEventListener("cc:event", function (e) { handle(e.detail); });

  function ownSocket() {
    if (!("WebSocket" in window)) return;
    var delay = 1000;
    (function connect() {
      var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/");
      ws.onopen = function () { delay = 1000; ws.send(JSON.stringify({ subscribe: "desk" })); };
      ws.onmessage = function (e) {
        var frame;
        try { frame = JSON.parse(e.data); } catch (err) { return; }
        if (frame.type === "subscribed") api.listening = true;
        handle(frame);
      };
      ws.onclose = function (e) {
        api.listening = false;
        if (e.code === 4401) return;
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      };
    })();
  }

  function linkAfterRegistration() {
    var q = new URLSearchParams(location.search);
    var done = q.get("done"), sid = q.get("call_sid");
    if (done && sid) post("/telephony/desk/calls/" + encodeURIComponent(sid) + "/link/", { tracking_no: done });
  }

  function start() {
    linkAfterRegistration();
    refreshStats(0);
    if (window.ccLiveEvents) api.listening = true;
    else ownSocket();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
