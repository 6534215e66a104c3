/* The agent desk (web/console desk page): agent status, the live call's banner and wrap-up,
 * the knowledge-base panel and the keyboard shortcuts listed on the page.
 *
 * - Status buttons POST /telephony/desk/status/ {"status"}; only an idle agent gets pop-ups
 *   (screenpop.js asks window.ccDesk.offered()) and may answer (the server refuses otherwise).
 * - Call banner: screenpop.js re-dispatches call frames as window "cc:call"; when this agent
 *   answers, the banner shows the call's timer; at hang-up it asks for the wrap-up code
 *   (POST /telephony/desk/calls/<sid>/wrap-up/), which makes the agent idle again.
 * - Knowledge base: as the intake form's title/content/category change (or the search box),
 *   GET /api/v1/kb/articles/?text=…&category=… (best matches first; the search box uses q=, every
 *   term must match, as on the public board). "Insert" puts the article's answer into the
 *   resolve-directly form with its id (kb_article); before the case is registered the choice is
 *   kept in sessionStorage and filled in after registration.
 * No inline script (CSP); every text is set with textContent.
 */
(function () {
  "use strict";
  var en = (document.documentElement.lang || "").indexOf("en") === 0;
  var t = function (zh, english) { return en ? english : zh; };
  var PENDING = "cc.kb.pending";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function csrf() {
    var input = $("input[name=csrfmiddlewaretoken]");
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
  function errorText(res, fallback) { return (res.data && res.data.error && res.data.error.message) || fallback; }

  // --- agent status ------------------------------------------------------------------------
  var bar = $("#desk-bar");
  var labels = { idle: t("示闲", "Available"), busy: t("示忙", "Busy"), "break": t("小休", "On break") };

  function showStatus(status) {
    if (!bar) return;
    bar.setAttribute("data-agent-status", status);
    Array.prototype.forEach.call(bar.querySelectorAll(".status-btn"), function (b) {
      var on = b.getAttribute("data-status") === status;
      b.classList.toggle("current", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  function setStatus(status) {
    if (!bar) return;
    var msg = $("#agent-status-msg");
    post(bar.getAttribute("data-status-url"), { status: status }).then(function (res) {
      if (res.ok) {
        showStatus(res.data.status);
        msg.textContent = t("当前：", "Now: ") + labels[res.data.status];
        if (res.data.status === "idle" && window.ccScreenpop && window.ccScreenpop.offerHeld) window.ccScreenpop.offerHeld();
      }
      else msg.textContent = errorText(res, t("无法切换状态", "Could not change status"));
    });
  }
  if (bar) {
    Array.prototype.forEach.call(bar.querySelectorAll(".status-btn"), function (b) {
      b.addEventListener("click", function () { setStatus(b.getAttribute("data-status")); });
    });
  }
  window.ccDesk = { offered: function () { return !bar || bar.getAttribute("data-agent-status") === "idle"; } };

  // --- call banner and wrap-up -------------------------------------------------------------
  var banner = $("#call-banner");
  var tick = null;

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function showElapsed(from, to) {
    var secs = Math.max(0, Math.floor(((to || new Date()) - from) / 1000));
    $("#call-timer").textContent = (secs >= 3600 ? Math.floor(secs / 3600) + ":" : "") +
      two(Math.floor(secs / 60) % 60) + ":" + two(secs % 60);
  }
  function startBanner(sid, answeredAt, phone) {
    if (!banner) return;
    banner.hidden = false;
    banner.setAttribute("data-call-sid", sid);
    banner.setAttribute("data-answered-at", answeredAt.toISOString());
    banner.removeAttribute("data-ended-at");
    if (phone) $(".call-phone", banner).textContent = phone;
    $(".call-state", banner).textContent = t("通话中", "On the call");
    clearInterval(tick);
    tick = setInterval(function () { showElapsed(answeredAt); }, 1000);
    showElapsed(answeredAt);
    showStatus("busy");
  }
  function endBanner(endedAt) {
    if (!banner) return;
    clearInterval(tick);
    banner.setAttribute("data-ended-at", endedAt.toISOString());
    showElapsed(new Date(banner.getAttribute("data-answered-at")), endedAt);
    $(".call-state", banner).textContent = t("通话已结束，请填写话后小结", "Call ended: choose a wrap-up code");
    var code = $("#wrap-up-code");
    if (code) code.focus();
  }
  if (banner && banner.getAttribute("data-call-sid")) {
    var answered = new Date(banner.getAttribute("data-answered-at"));
    var ended = banner.getAttribute("data-ended-at");
    if (ended) { showElapsed(answered, new Date(ended)); $(".call-state", banner).textContent = t("通话已结束，请填写话后小结", "Call ended: choose a wrap-up code"); }
    else { tick = setInterval(function () { showElapsed(answered); }, 1000); showElapsed(answered); }
  }
  window.addEventListener("cc:call", function (e) {
    var frame = e.detail || {}, data = frame.data || {};
    var me = bar && bar.getAttribute("data-agent");
    if (frame.type === "call.answered" && data.agent === me) startBanner(data.call_sid, new Date(), data.phone || "");
    if (frame.type === "call.ended" && banner && banner.getAttribute("data-call-sid") === data.call_sid) endBanner(new Date());
  });
  var wrap = $("#wrap-up-form");
  if (wrap) {
    wrap.addEventListener("submit", function (e) {
      e.preventDefault();
      var sid = banner.getAttribute("data-call-sid");
      var msg = $("#wrap-up-msg");
      if (!sid) return;
      post(banner.getAttribute("data-wrap-url").replace("__SID__", encodeURIComponent(sid)),
           { code: $("#wrap-up-code").value, note: $("#wrap-up-note").value }).then(function (res) {
        if (!res.ok) { msg.textContent = errorText(res, t("保存失败", "Could not save")); return; }
        clearInterval(tick);
        banner.hidden = true;
        banner.removeAttribute("data-call-sid");
        wrap.reset();
        showStatus("idle");
        if (window.ccScreenpop && window.ccScreenpop.offerHeld) window.ccScreenpop.offerHeld();
        var status = $("#agent-status-msg");
        if (status) status.textContent = t("小结已保存，当前：示闲", "Wrap-up saved; now available");
      });
    });
  }

  // --- knowledge-base panel ----------------------------------------------------------------
  var panel = $("#kb-panel");
  var intake = $("#intake-form");
  var timer = null, lastQuery = "";

  function resolveForm() { return $("form.action-resolve_directly"); }

  function fill(article) {
    var form = resolveForm();
    if (!form) {
      try { sessionStorage.setItem(PENDING, JSON.stringify({ id: article.id, title: article.title, body: article.body })); } catch (err) { /* private mode */ }
      picked(t("已选用“", "Chosen: “") + article.title + t("”，登记后将填入直接办结答复。", "”; it fills the answer once the case is registered."));
      return;
    }
    var details = form.closest("details");
    if (details) details.open = true;
    var answer = form.querySelector("[name=answer]");
    var ref = form.querySelector("[name=kb_article]");
    answer.value = article.body;
    if (ref) ref.value = String(article.id);
    answer.dispatchEvent(new Event("input", { bubbles: true }));
    answer.focus();
    picked(t("已插入“", "Inserted “") + article.title + t("”的答复，可修改后直接办结。", "”: edit if needed, then resolve."));
  }
  function picked(text) { var p = $("#kb-picked"); if (p) { p.hidden = false; p.textContent = text; } }

  function render(results) {
    var list = $("#kb-results");
    list.textContent = "";
    if (!results.length) {
      list.appendChild(el("li", { "class": "muted" }, t("没有匹配的文章。", "No matching article.")));
      return;
    }
    results.forEach(function (a) {
      var li = el("li", { "class": "kb-result", "data-article-id": String(a.id) });
      var head = el("p");
      head.appendChild(el("a", { href: "/console/kb/" + a.id + "/", target: "_blank", rel: "noopener" }, a.title));
      head.appendChild(el("span", { "class": "muted" }, " " + a.category_name + " · " + a.department_name + " · " + t("第", "v") + a.version + t("版", "")));
      li.appendChild(head);
      li.appendChild(el("p", { "class": "kb-snippet" }, a.body.length > 120 ? a.body.slice(0, 120) + "…" : a.body));
      var btn = el("button", { type: "button", "class": "kb-insert" }, t("插入答复", "Insert answer"));
      btn.addEventListener("click", function () { fill(a); });
      li.appendChild(btn);
      list.appendChild(li);
    });
  }
  function search(params) {
    var query = new URLSearchParams(params).toString();
    if (query === lastQuery) return;
    lastQuery = query;
    fetch(panel.getAttribute("data-api") + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (body) { if (query === lastQuery) render(body.results || []); })
      .catch(function () { lastQuery = ""; });
  }
  function fromIntake() {
    var q = $("#kb-q").value.trim();
    var params = {};
    if (q) params.q = q;
    else {
      var text = panel.getAttribute("data-initial-text") || "";
      var category = panel.getAttribute("data-initial-category") || "";
      if (intake) {
        var title = intake.querySelector("[name=title]"), content = intake.querySelector("[name=content]");
        var typed = ((title && title.value) || "") + " " + ((content && content.value) || "");
        if (typed.trim()) text = typed;
        var cat = intake.querySelector("[name=category]");
        if (cat && cat.value) category = cat.value;
      }
      if (text.trim()) params.text = text.trim().slice(0, 2000);
      if (category) params.category = category;
    }
    if (!params.q && !params.text && !params.category) return;
    search(params);
  }
  function later() { clearTimeout(timer); timer = setTimeout(fromIntake, 350); }

  if (panel) {
    $("#kb-q").addEventListener("input", later);
    if (intake) {
      ["title", "content"].forEach(function (name) {
        var field = intake.querySelector("[name=" + name + "]");
        if (field) field.addEventListener("input", later);
      });
      var cat = intake.querySelector("[name=category]");
      if (cat) cat.addEventListener("change", later);
    }
    fromIntake();
    // A choice made before registration fills the resolve form that registration brought.
    var pending = null;
    try { pending = JSON.parse(sessionStorage.getItem(PENDING) || "null"); } catch (err) { pending = null; }
    if (pending && resolveForm()) {
      sessionStorage.removeItem(PENDING);
      fill(pending);
    }
  }

  // --- keyboard shortcuts (listed on the page) ---------------------------------------------
  function focus(sel) { var node = $(sel); if (node) { node.focus(); if (node.select) node.select(); } }
  document.addEventListener("keydown", function (e) {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    var key = (e.key || "").toLowerCase();
    var handled = true;
    if (key === "1") setStatus("idle");
    else if (key === "2") setStatus("busy");
    else if (key === "3") setStatus("break");
    else if (key === "t") focus("#intake-form [name=title]");
    else if (key === "k") focus("#kb-q");
    else if (key === "w") focus("#wrap-up-code");
    else if (key === "i") { var first = $("#kb-results .kb-insert"); if (first) first.click(); }
    else if (key === "r") {
      var form = resolveForm();
      if (form) { var d = form.closest("details"); if (d) d.open = true; focus("form.action-resolve_directly [name=answer]"); }
    } else if (key === "s") {
      var active = document.activeElement && document.activeElement.form;
      var target = active || resolveForm() || intake;
      if (target) { if (target.requestSubmit) target.requestSubmit(); else target.submit(); }
    } else handled = false;
    if (handled) e.preventDefault();
  });
})();
