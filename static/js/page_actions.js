// Small behaviours wired by data- attributes, because the content security policy allows no inline
// script and no on*= handler attribute (docs/security.md). Listeners sit on the document, so content
// htmx swaps in later works too.
//   data-submit-on-change  a form control that submits its form when it changes (the language switch,
//                          "show my own leave too"); a <noscript> button does it without JavaScript
//   data-print             a button that opens the browser's print dialogue (the safety plan)
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var control = event.target;
    if (control instanceof Element && control.hasAttribute("data-submit-on-change") && control.form) {
      control.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
