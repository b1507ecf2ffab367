/* Code blocks: the copy button sits over a block's top right corner. When text of the
   block would run under it, the block's text starts below the button instead (the
   button gets a row of its own); other blocks are left as they are. Measured again
   when the page is resized (a phone turned) and once the fonts are in. */
(function () {
  function overlaps(r, b) {
    var dx = Math.min(r.right, b.right) - Math.max(r.left, b.left);
    var dy = Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top);
    return dx > 0 && dy > 2;
  }
  function underButton(code, button) {
    var walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    var range = document.createRange();
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.data.trim()) continue;
      range.selectNodeContents(node);
      var rects = range.getClientRects();
      for (var i = 0; i < rects.length; i++) {
        if (rects[i].top >= button.bottom) return false; // past the button: done
        if (rects[i].width && overlaps(rects[i], button)) return true;
      }
    }
    return false;
  }
  function fit(pre) {
    var nav = pre.querySelector(":scope > .md-code__nav");
    var code = pre.querySelector(":scope > code");
    if (!nav || !code) return;
    pre.classList.remove("reader-button-row");
    var scroll = code.scrollLeft;
    code.scrollLeft = 0;
    var button = nav.getBoundingClientRect();
    if (button.width && underButton(code, button)) {
      var top = code.getBoundingClientRect().top;
      pre.style.setProperty("--reader-button-row", Math.ceil(button.bottom - top + 4) + "px");
      pre.classList.add("reader-button-row");
    }
    code.scrollLeft = scroll;
  }
  function fitAll() {
    document.querySelectorAll(".md-typeset pre").forEach(fit);
  }
  var pending = 0;
  function later() {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(fitAll);
  }
  if (window.document$) window.document$.subscribe(later);
  else document.addEventListener("DOMContentLoaded", later);
  if (document.fonts) document.fonts.ready.then(later);
  window.addEventListener("resize", later);
})();

/* Diagrams: each diagram gets a frame. On a desktop it shows as Mermaid sets it. On a
   phone (assets/stylesheets/reader.css) it fits the screen's width, so the whole diagram
   is in view, and a button under it shows it at a desktop's size (its labels readable)
   in the frame, which then scrolls sideways; the button says so and puts it back. The
   frame is put around the source block before Material renders it (this script runs
   before the page's DOMContentLoaded), so the diagram lands inside it. */
(function () {
  var ZOOM = "図を拡大する (横にスクロールして見る)";
  var FIT = "図を画面の幅に戻す";
  function frame(diagram) {
    if (diagram.parentElement.classList.contains("reader-diagram")) return;
    var box = document.createElement("div");
    box.className = "reader-diagram";
    diagram.replaceWith(box);
    box.appendChild(diagram);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "reader-diagram-zoom";
    button.setAttribute("aria-pressed", "false");
    button.textContent = ZOOM;
    button.addEventListener("click", function () {
      var zoomed = box.classList.toggle("reader-diagram--zoomed");
      button.setAttribute("aria-pressed", zoomed ? "true" : "false");
      button.textContent = zoomed ? FIT : ZOOM;
      if (!zoomed) box.scrollLeft = 0;
    });
    box.after(button);
  }
  function frameAll() {
    document.querySelectorAll(".md-typeset .mermaid").forEach(frame);
  }
  frameAll();
  if (window.document$) window.document$.subscribe(frameAll);
})();
