// The document view: highlight the span named by the URL fragment (#start-end, in characters of the
// document as the API counts them: Unicode code points) and scroll it into view. The text is already
// in the page as text, one block per line; this only wraps the range's part of each block in a <mark>.
"use strict";

(function () {
  const root = document.getElementById("doc-text");
  const bar = document.getElementById("quote-bar");
  let marks = [];
  // The "Show it" note is for when the quote is out of sight: it hides while the quote is on screen.
  const sight = new IntersectionObserver((entries) => {
    bar.hidden = root.hidden || entries.some((entry) => entry.isIntersecting);  // hidden: a PDF shows its pages
  });

  // Code points in a string (JavaScript strings count astral characters twice).
  function points(text) {
    const pairs = text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g);
    return text.length - (pairs ? pairs.length : 0);
  }

  // Code-point offset -> UTF-16 offset.
  function unitOffset(text, count) {
    let units = 0;
    for (let seen = 0; seen < count && units < text.length; seen++) {
      units += text.codePointAt(units) > 0xffff ? 2 : 1;
    }
    return units;
  }

  function clear() {
    sight.disconnect();
    for (const mark of marks) {
      const parent = mark.parentNode;
      mark.replaceWith(...mark.childNodes);
      parent.normalize();
    }
    marks = [];
  }

  // The text nodes under the range [start, end) of code points, with their UTF-16 sub-ranges.
  function pieces(start, end) {
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let pos = 0;
    for (let node = walker.nextNode(); node && pos < end; node = walker.nextNode()) {
      const text = node.data;
      const size = points(text);
      const from = Math.max(start, pos);
      const to = Math.min(end, pos + size);
      if (from < to) found.push([node, unitOffset(text, from - pos), unitOffset(text, to - pos)]);
      pos += size;
    }
    return found;
  }

  function highlight() {
    clear();
    bar.hidden = true;
    const m = /^#(\d+)-(\d+)$/.exec(window.location.hash);
    if (!m) return;
    const start = Number(m[1]);
    const end = Number(m[2]);
    if (end <= start) return;
    for (const [node, from, until] of pieces(start, end)) {
      let to = until;
      while (to > from && node.data[to - 1] === "\n") to--;  // a line's break is not part of what is marked
      if (to === from) continue;
      const range = document.createRange();
      range.setStart(node, from);
      range.setEnd(node, to);
      const mark = document.createElement("mark");
      mark.className = "quote";
      range.surroundContents(mark);
      marks.push(mark);
    }
    if (!marks.length) return;
    marks[0].tabIndex = -1;
    sight.observe(marks[0]);
    show();
  }

  function show() {
    if (!marks.length) return;
    marks[0].scrollIntoView({ block: "center" });
    marks[0].focus({ preventScroll: true });
  }

  document.getElementById("to-quote").addEventListener("click", show);
  window.addEventListener("hashchange", highlight);
  highlight();
})();
