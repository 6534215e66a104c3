/* Staff console: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // --- caller history on the agent desk: appears as soon as a full number is typed ---
  var panel = document.getElementById("caller-history");
  var phoneInput = document.querySelector("input[data-caller-history]");
  if (panel && phoneInput) {
    var body = panel.querySelector(".history-body");
    var lastPhone = "";
    var timer = null;
    var lang = document.documentElement.lang || "zh-hans";
    var en = lang.indexOf("en") === 0;
    var t = function (zh, english) { return en ? english : zh; };

    var el = function (tag, attrs, text) {
      var node = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      if (text !== undefined) { node.textContent = text; }  // textContent: never inject HTML
      return node;
    };

    var render = function (data) {
      body.textContent = "";
      // Same wording as the server-rendered panel (templates/console/_caller_history.html).
      var summary = el("p", { "class": "history-summary" }, en
        ? data.phone + ": " + data.cases.length + " past cases, " + data.open_count + " still open"
        : data.phone + "：以往工单 " + data.cases.length + " 件，其中未办结 " + data.open_count + " 件");
      body.appendChild(summary);
      if (!data.cases.length) {
        body.appendChild(el("p", { "class": "muted" }, t("首次来电，没有以往工单。", "First call: no past cases.")));
        return;
      }
      var list = el("ul", { "class": "history-list" });
      data.cases.forEach(function (c) {
        var li = el("li");
        li.appendChild(el("a", { href: c.url }, c.tracking_no));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", { "class": "badge state-" + c.state }, c.state_label));
        li.appendChild(document.createTextNode(" " + c.title + " "));
        li.appendChild(el("span", { "class": "muted" }, c.registered_at_display));
        list.appendChild(li);
      });
      body.appendChild(list);
    };

    var lookup = function () {
      var phone = phoneInput.value.replace(/[\s\-()（）]/g, "").replace(/^(\+86|0086)/, "");
      // Only look up a number that looks complete (mobile 11 digits, landline with area code),
      // so the panel does not flash "invalid number" while the agent is still typing.
      if (phone === lastPhone || !/^(1\d{10}|0\d{9,11})$/.test(phone)) { return; }
      lastPhone = phone;
      fetch(panel.getAttribute("data-url") + "?phone=" + encodeURIComponent(phone),
            { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.error) {
            body.textContent = "";
            body.appendChild(el("p", { "class": "muted" }, data.error.message));
          } else { render(data); }
        })
        .catch(function () { /* offline or server hiccup: the server-side panel still works on submit */ });
    };

    phoneInput.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 300);
    });
    phoneInput.addEventListener("change", lookup);
    if (phoneInput.value) { lookup(); }
  }

  // --- queue: "fill in merge" next to a possible duplicate opens the merge form with its number ---
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("[data-fill-merge]") : null;
    if (!btn) { return; }
    var input = document.getElementById(btn.getAttribute("data-target"));
    if (!input) { return; }
    input.value = btn.getAttribute("data-fill-merge");
    input.dispatchEvent(new Event("input", { bubbles: true }));  // counts as unsaved input
    var d = input.closest("details");
    if (d) { d.open = true; }
    input.focus();
  });

  // --- live lists: never wipe what someone is typing ---
  // live.js replaces the element with id "live-region" when an event arrives. While a form in
  // the list holds unsaved input, the region is renamed so that refresh skips it; it is
  // renamed back (and catches up on the next event) once nothing is left unsaved.
  var region = document.getElementById("live-region");
  if (region) {
    var dirty = function () {
      return Array.prototype.some.call(region.querySelectorAll("input, textarea, select"), function (f) {
        if (f.type === "hidden" || f.type === "submit") { return false; }
        if (f.tagName === "SELECT") {
          // A select with no option marked selected shows its first one (a single select): that
          // is its default, not unsaved input.
          var marked = Array.prototype.some.call(f.options, function (o) { return o.defaultSelected; });
          return Array.prototype.some.call(f.options, function (o, i) {
            return o.selected !== (marked ? o.defaultSelected : !f.multiple && i === 0);
          });
        }
        if (f.type === "checkbox" || f.type === "radio") { return f.checked !== f.defaultChecked; }
        return f.value !== f.defaultValue;
      });
    };
    var sync = function () { region.id = dirty() ? "live-region-paused" : "live-region"; };
    region.addEventListener("input", sync);
    region.addEventListener("change", sync);
    region.addEventListener("focusout", function () { setTimeout(sync, 0); });
  }

  // --- keep a posted inline action open if it came back with errors ---
  var openErrors = function () {
    document.querySelectorAll("details .errorlist").forEach(function (node) {
      var d = node.closest("details");
      if (d) { d.open = true; }
    });
  };
  openErrors();
  document.addEventListener("live:updated", openErrors);
})();
