/* kubecapture: fold long outputs behind a "show all" toggle. Works offline, no deps. */
(function () {
  function setup(root) {
    root.querySelectorAll(".kubecapture:not(.kc-js)").forEach(function (snippet) {
      snippet.classList.add("kc-js");
      snippet.querySelectorAll(".kc-fold-toggle").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
          var fold = button.previousElementSibling;
          fold.classList.add("kc-open");
          button.remove();
        });
      });
    });
  }
  if (window.document$) { window.document$.subscribe(function () { setup(document); }); }
  else { document.addEventListener("DOMContentLoaded", function () { setup(document); }); }
})();
