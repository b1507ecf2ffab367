// Text of the article that a reader cannot see at this viewport width: outside the
// screen (Material's page never scrolls sideways), and not inside a block that scrolls
// sideways on purpose (code blocks and outputs, Material's tab labels). Details are
// opened first (a reader opens them). Returns one line per cut text.
() => {
  const vw = document.documentElement.clientWidth;
  const article = document.querySelector("article.md-content__inner");
  article.querySelectorAll("details").forEach((d) => { d.open = true; });
  const scrolls = (el) => {
    const style = getComputedStyle(el);
    return /auto|scroll/.test(style.overflowX);
  };
  const cut = [];
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim()) continue;
    const el = node.parentElement;
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width === 0 || (r.left >= -0.5 && r.right <= vw + 0.5)) continue;
      const scroller = el.closest("pre > code, .tabbed-labels");
      if (scroller && scrolls(scroller)) {
        const box = scroller.getBoundingClientRect();
        if (box.left >= -0.5 && box.right <= vw + 0.5) continue; // the block itself fits
      }
      const where = el.closest("table, pre, p, li, h1, h2, h3, h4, div") || el;
      cut.push(`${where.tagName.toLowerCase()}.${where.className}: "${node.data.trim().slice(0, 40)}" ends at ${Math.round(r.right)} px (viewport ${vw} px)`);
      break;
    }
  }
  return cut;
}
