/* Code blocks: the copy button sits over a block's top right corner. When the block's
   first line would run under it, the block's text starts below the button instead (the
   button gets a row of its own); other blocks are left as they are. Measured again
   when the page is resized (a phone turned) and once the fonts are in. */
(function () {
  function firstLineRight(code) {
    var walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    var range = document.createRange();
    range.setStart(code, 0);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var end = node.data.indexOf("\n");
      if (end >= 0) { range.setEnd(node, end); return range.getBoundingClientRect().right; }
      range.setEnd(node, node.data.length);
    }
    return range.getBoundingClientRect().right;
  }
  function fit(pre) {
    var nav = pre.querySelector(":scope > .md-code__nav");
    var code = pre.querySelector(":scope > code");
    if (!nav || !code) return;
    pre.classList.remove("reader-button-row");
    var scroll = code.scrollLeft;
    code.scrollLeft = 0;
    var button = nav.getBoundingClientRect();
    if (button.width && firstLineRight(code) > button.left - 4) {
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
