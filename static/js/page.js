/* Behaviour every page shares, here and not in on*="..." attributes: the Content-Security-Policy
   (casecenter/settings.py) allows no inline script.
   - <select data-autosubmit>: choosing an option submits its form (a <noscript> button does it
     without JavaScript);
   - <button data-print>: prints the page. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
