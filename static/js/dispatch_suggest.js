/* Smart dispatch (智能派单) on the console: beside every assign form's department choice, the top
 * three suggested departments (and categories) with their confidence. A click on a department
 * selects it. The case page asks at once; the queue asks when a dispatcher opens or focuses a
 * case's assign form, so a long queue costs nothing until it is worked. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.action-assign");
  if (!forms.length) return;

  function pct(x) { return Math.round(x * 100) + "%"; }

  function render(form, data) {
    var select = form.querySelector("select[name=department]");
    var box = document.createElement("div");
    box.className = "dispatch-suggest";
    box.setAttribute("data-model-version", data.model_version);
    var title = document.createElement("p");
    title.className = "dispatch-suggest-title";
    title.textContent = (form.getAttribute("data-suggest-label") || "智能派单建议") + " (v" + data.model_version + ")";
    box.appendChild(title);
    var depts = document.createElement("div");
    data.departments.forEach(function (d) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "secondary suggest-department";
      b.setAttribute("data-code", d.code);
      b.textContent = d.name + " " + pct(d.confidence);
      b.addEventListener("click", function () { if (select) { select.value = d.code; select.dispatchEvent(new Event("change")); } });
      depts.appendChild(b);
    });
    box.appendChild(depts);
    var cats = document.createElement("p");
    cats.className = "muted suggest-categories";
    cats.textContent = data.categories.map(function (c) { return c.name + " " + pct(c.confidence); }).join(" · ");
    box.appendChild(cats);
    form.insertBefore(box, form.firstChild);
  }

  function ask(form) {
    if (form.getAttribute("data-suggest") === "asked") return;
    form.setAttribute("data-suggest", "asked");
    var m = (form.getAttribute("action") || "").match(/\/cases\/([^/]+)\/actions\/assign\//);
    if (!m) return;
    fetch("/console/insight/suggest/" + encodeURIComponent(m[1]) + "/", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { render(form, data); })
      .catch(function () { /* no model yet, or not allowed: the form works as before */ });
  }

  Array.prototype.forEach.call(forms, function (form) {
    if (form.offsetParent !== null && !form.closest("details:not([open])") && forms.length === 1) { ask(form); return; }
    form.addEventListener("focusin", function () { ask(form); });
    var details = form.closest("details");
    if (details) details.addEventListener("toggle", function () { if (details.open) ask(form); });
  });
})();
