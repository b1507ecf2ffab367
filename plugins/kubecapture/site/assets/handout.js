/* kubecapture handout (python -m kubecapture.handout): lays the code blocks of
   handout.html out for paper before Chromium prints it. Evaluated by Playwright as one
   function; `options` come from handout.py.

   - Text is never set smaller than options.minPx (7 pt).
   - A table of kubectl output (a header row of upper-case column names) is never
     wrapped inside a row: it is set smaller when that makes it fit at minPx or more,
     else printed in parts of whole columns, the first column (NAME) repeated in each,
     under a marked line that says so.
   - Any other line too long for the page wraps, and the continuation starts with a
     visible mark (options.mark), so a wrapped fragment never reads as a line of its own.
   - A long output is cut where the site folds it, after options.paperFold lines at
     most, under a marked line that says how many lines the site has beyond.
   - Of a snippet's history (hidden on paper but the newest and the original notes'),
     an output that the chapter's own text names by its version (「v1.24.0+0」) is shown.
   - A block is kept on one page only when it is short (options.keepBelow px): a long
     one that would not fit in the rest of a page starts there instead of leaving the
     page blank. */
(options) => {
  const { minPx, mark, columns, keepBelow, paperFold, folded } = options;
  const HEADER =
    /^[A-Z][A-Z0-9()\/_.-]*(?: [A-Z][A-Z0-9()\/_.-]*)*(?: {2,}[A-Z][A-Z0-9()\/_.-]*(?: [A-Z][A-Z0-9()\/_.-]*)*)+ *$/;
  const width = (s) => {
    let n = 0;
    for (const c of s) n += c.codePointAt(0) >= 0x1100 ? 2 : 1; // CJK: two columns
    return n;
  };

  function markSpan(text) {
    const span = document.createElement("span");
    span.className = "kc-print-mark";
    span.textContent = text;
    return span;
  }

  /* How many columns of the code's font fit between its paddings. */
  function capacity(code) {
    const probe = document.createElement("span");
    probe.textContent = "0".repeat(100);
    code.appendChild(probe);
    const ch = probe.getBoundingClientRect().width / 100;
    probe.remove();
    const style = getComputedStyle(code);
    const pads = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    // A block in a flex item (the history's tabs) may be as wide as its longest line:
    // what counts is the room between its left edge and the chapter's right edge.
    const edge = code.closest(".kc-handout-chapter").getBoundingClientRect().right;
    const room = Math.min(code.clientWidth, edge - code.getBoundingClientRect().left) - pads;
    return Math.floor(room / ch);
  }

  /* The tables of one output: [first, end) line ranges from a header row to the end of
     its paragraph (kubectl get all prints several, separated by blank lines). */
  function tables(lines) {
    const found = [];
    for (let i = 0; i < lines.length; i++) {
      if (!HEADER.test(lines[i])) continue;
      let end = i + 1;
      while (end < lines.length && lines[end].trim()) end++;
      if (end > i + 1) found.push([i, end]);
      i = end;
    }
    return found;
  }

  function columnStarts(header) {
    const starts = [0];
    for (let i = 2; i < header.length; i++) {
      if (header[i] !== " " && header[i - 1] === " " && header[i - 2] === " ") starts.push(i);
    }
    return starts;
  }

  /* A table as parts of whole columns, each at most `cap` wide, the first column in
     each part: a list of strings and marks. */
  function splitTable(rows, cap) {
    const starts = columnStarts(rows[0]);
    const longest = Math.max(...rows.map((r) => r.length));
    const ends = starts.slice(1).concat([longest]);
    const widths = starts.map((s, k) => ends[k] - s);
    const parts = [];
    let part = [0];
    let used = widths[0];
    for (let k = 1; k < starts.length; k++) {
      if (used + widths[k] > cap && part.length > 1) {
        parts.push(part);
        part = [0];
        used = widths[0];
      }
      part.push(k);
      used += widths[k];
    }
    parts.push(part);
    const name = rows[0].slice(0, ends[0]).trim();
    const out = [];
    parts.forEach((cols, p) => {
      if (p > 0) out.push(markSpan(columns.replace("{name}", name) + "\n"));
      const text = rows.map((row) =>
        cols.map((k) => row.slice(starts[k], ends[k])).join("").replace(/ +$/, ""),
      );
      out.push(text.join("\n") + "\n");
    });
    return out;
  }

  /* One output span whose text holds tables too wide for `cap`: those tables in parts. */
  function splitOutput(span, cap) {
    const lines = span.textContent.replace(/\n$/, "").split("\n");
    const found = tables(lines).filter(([a, b]) =>
      lines.slice(a, b).some((l) => width(l) > cap),
    );
    if (!found.length) return;
    const pieces = [];
    let at = 0;
    for (const [a, b] of found) {
      if (a > at) pieces.push(lines.slice(at, a).join("\n") + "\n");
      pieces.push(...splitTable(lines.slice(a, b), cap));
      at = b;
    }
    if (at < lines.length) pieces.push(lines.slice(at).join("\n") + "\n");
    span.replaceChildren(...pieces);
  }

  function textNodes(code) {
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
    return nodes;
  }

  /* Tabs as the spaces they stand for (kubectl options indents with tabs): a line's
     width is then its length. */
  function expandTabs(code) {
    const size = parseInt(getComputedStyle(code).tabSize, 10) || 8;
    let col = 0;
    for (const node of textNodes(code)) {
      let text = "";
      for (const c of node.data) {
        if (c === "\t") {
          const n = size - (col % size);
          text += " ".repeat(n);
          col += n;
        } else {
          text += c;
          col = c === "\n" ? 0 : col + width(c);
        }
      }
      if (text !== node.data) node.data = text;
    }
  }

  /* Every line of the code longer than `cap`: wrapped, preferably at a space, the rest
     on the next line after the mark. */
  function wrapLines(code, cap) {
    let col = 0;
    for (const node of textNodes(code)) {
      if (node.parentElement.closest(".kc-print-mark")) {
        col = width(node.data.split("\n").pop());
        continue;
      }
      const pieces = [];
      let buffer = "";
      const segments = node.data.split(/(\n)/);
      for (let s of segments) {
        if (s === "\n") {
          buffer += s;
          col = 0;
          continue;
        }
        while (col + width(s) > cap) {
          const room = Math.max(cap - col, 1);
          let cut = 0;
          let used = 0;
          while (cut < s.length && used + width(s[cut]) <= room) used += width(s[cut++]);
          const space = s.lastIndexOf(" ", cut - 1);
          if (space >= cut * 0.6 && space > 0 && cut < s.length) cut = space + 1;
          if (cut === 0) cut = 1;
          pieces.push(buffer + s.slice(0, cut), markSpan("\n" + mark));
          buffer = "";
          s = s.slice(cut);
          col = width(mark);
        }
        buffer += s;
        col += width(s);
      }
      if (pieces.length) node.replaceWith(...pieces, buffer);
    }
  }

  /* A folded output (span.kc-fold, --kc-fold-lines: the site's fold) up to its fold,
     paperFold lines at most, then a mark with the number of lines left out. */
  function foldForPaper(fold) {
    const keep = Math.min(
      paperFold,
      parseInt(fold.style.getPropertyValue("--kc-fold-lines"), 10) || paperFold,
    );
    const total = fold.textContent.replace(/\n$/, "").split("\n").length;
    if (total <= keep) return;
    let lines = 0;
    let cut = false;
    for (const node of textNodes(fold)) {
      if (cut) {
        node.data = "";
        continue;
      }
      const at = node.data.split("\n");
      if (lines + at.length - 1 >= keep) {
        node.data = at.slice(0, keep - lines).join("\n") + "\n";
        cut = true;
      } else {
        lines += at.length - 1;
      }
    }
    fold.appendChild(markSpan(folded.replace("{n}", total - keep) + "\n"));
    const toggle = fold.nextElementSibling;
    if (toggle && toggle.classList.contains("kc-fold-toggle")) toggle.remove();
  }

  /* The text that follows a snippet (what speaks of its output): its block's siblings up
     to the next snippet or heading. */
  function after(block) {
    const stop = (e) => /^H[1-6]$/.test(e.tagName) || e.matches(".kubecapture") ||
      e.querySelector(".kubecapture");
    let text = "";
    for (let e = block.nextElementSibling; e && !stop(e); e = e.nextElementSibling) {
      text += " " + e.textContent;
    }
    return text;
  }

  /* The versions the text after a snippet names: their outputs are shown too. */
  for (const set of document.querySelectorAll(".kc-handout-chapter .kc-versions")) {
    let block = set.closest(".kubecapture");
    while (block.parentElement && !block.parentElement.matches(".kc-handout-chapter") &&
      !block.previousElementSibling && !block.nextElementSibling) block = block.parentElement;
    const text = after(block);
    const labels = [...set.querySelectorAll(":scope > .tabbed-labels > label")];
    const blocks = [...set.querySelectorAll(":scope > .tabbed-content > .tabbed-block")];
    labels.forEach((label, i) => {
      const version = label.textContent.split(" · ")[0].trim();
      if (i > 0 && version && blocks[i] && text.includes(`「${version}」`)) {
        blocks[i].classList.add("kc-print-named");
      }
    });
  }
  for (const fold of document.querySelectorAll(".kc-handout-chapter .kc-fold")) {
    if (fold.getClientRects().length) foldForPaper(fold);
  }

  const codes = document.querySelectorAll(".kc-handout-chapter pre > code");
  for (const code of codes) {
    if (!code.getClientRects().length) continue; // not printed (the diffs)
    code.style.whiteSpace = "pre";
    expandTabs(code);
    let cap = capacity(code);
    if (cap < 24) {
      // A block in a narrow box (a table cell): marks every few characters would say
      // less than the browser's own wrapping, and cost a node each.
      code.style.whiteSpace = "";
      continue;
    }
    const outputs = [...code.querySelectorAll(".go")];
    const widest = Math.max(
      0,
      ...outputs.flatMap((span) => {
        const lines = span.textContent.split("\n");
        return tables(lines).flatMap(([a, b]) => lines.slice(a, b).map(width));
      }),
    );
    const size = parseFloat(getComputedStyle(code).fontSize);
    if (widest > cap && (size * cap) / widest >= minPx) {
      // Smaller until the widest table fits; one that would need less than minPx keeps
      // the size and is printed in parts of whole columns instead.
      code.style.fontSize = (size * cap) / widest + "px";
      cap = capacity(code);
    }
    for (const span of outputs) splitOutput(span, cap);
    wrapLines(code, cap);
    code.style.whiteSpace = "";
  }

  const KEEP = ".kubecapture, .tabbed-block, .kc-terminal, .highlight, .admonition, details, table";
  for (const block of document.querySelectorAll(`.kc-handout-chapter :is(${KEEP})`)) {
    if (block.getBoundingClientRect().height > keepBelow) block.classList.add("kc-may-split");
  }
}
