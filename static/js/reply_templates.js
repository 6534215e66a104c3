/* Reply templates (常用答复) in the case page's reply forms: choosing one fills the reply text.
   The texts, placeholders already filled for this case, come from the page's JSON block
   (#reply-templates, written by the server); nothing is evaluated, no inline script. */
(function () {
  "use strict";
  var block = document.getElementById("reply-templates");
  if (!block) { return; }
  var templates = {};
  try {
    JSON.parse(block.textContent).forEach(function (t) { templates[String(t.id)] = t.text; });
  } catch (e) { return; }
  document.querySelectorAll("select[data-reply-template]").forEach(function (select) {
    select.addEventListener("change", function () {
      var text = templates[select.value];
      var area = select.form && select.form.querySelector("textarea[name=text]");
      if (text === undefined || !area) { return; }
      area.value = text;
      area.focus();
    });
  });
})();
