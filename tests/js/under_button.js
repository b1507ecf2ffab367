// Text of code blocks that runs under the block's copy button (Material's .md-code__nav):
// one line per block where a line of text meets the button (a sliver of 3 px is let be).
() => {
  const out = [];
  for (const pre of document.querySelectorAll("article pre")) {
    const nav = pre.querySelector(":scope > .md-code__nav");
    const code = pre.querySelector(":scope > code");
    if (!nav || !code || !nav.checkVisibility()) continue;
    const b = nav.getBoundingClientRect();
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    let hit = null;
    for (let node = walker.nextNode(); node && !hit; node = walker.nextNode()) {
      if (!node.data.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        const dx = Math.min(r.right, b.right) - Math.max(r.left, b.left);
        const dy = Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top);
        if (dx > 3 && dy > 3) { hit = node.data.trim().slice(0, 40); break; }
      }
    }
    if (hit) out.push(`${pre.id || "pre"}: "${hit}" runs under the copy button`);
  }
  return out;
}
