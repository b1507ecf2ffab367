/* kubecapture: fold long outputs behind a "show all" toggle. No dependencies, works
   offline; without this script every output simply shows in full. */
(function () {
  function toggle(button) {
    var fold = button.previousElementSibling;
    var open = fold.classList.toggle("kc-open");
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? button.dataset.kcHide : button.dataset.kcShow;
    if (!open) {
      var top = fold.getBoundingClientRect().top;
      if (top < 0) fold.scrollIntoView({ block: "start" });
    }
  }
  function setup() {
    document.querySelectorAll(".kubecapture:not(.kc-js)").forEach(function (snippet) {
      snippet.classList.add("kc-js");
      snippet.querySelectorAll(".kc-fold-toggle").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () { toggle(button); });
      });
    });
  }
  if (window.document$) window.document$.subscribe(setup);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
