// The document view: highlight the span named by the URL fragment (#start-end, in characters of the
// document as the API counts them: Unicode code points) and scroll it into view. The text is already
// in the page as text; this only wraps a range of it in a <mark>.
"use strict";

(function () {
  const pre = document.getElementById("doc-text");
  const bar = document.getElementById("quote-bar");
  let mark = null;

  // Code-point offset -> UTF-16 offset (JavaScript strings count astral characters twice).
  function unitOffset(text, points) {
    let units = 0;
    for (let seen = 0; seen < points && units < text.length; seen++) {
      const code = text.codePointAt(units);
      units += code > 0xffff ? 2 : 1;
    }
    return units;
  }

  function clear() {
    if (!mark) return;
    mark.replaceWith(...mark.childNodes);
    pre.normalize();
    mark = null;
  }

  function highlight() {
    clear();
    const m = /^#(\d+)-(\d+)$/.exec(window.location.hash);
    bar.hidden = true;
    if (!m || !pre.firstChild) return;
    const text = pre.textContent;
    const start = unitOffset(text, Number(m[1]));
    const end = unitOffset(text, Number(m[2]));
    if (end <= start || start >= text.length) return;
    const range = document.createRange();
    range.setStart(pre.firstChild, start);
    range.setEnd(pre.firstChild, end);
    mark = document.createElement("mark");
    mark.className = "quote";
    mark.tabIndex = -1;
    range.surroundContents(mark);
    bar.hidden = false;
    show();
  }

  function show() {
    if (!mark) return;
    mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
  }

  document.getElementById("to-quote").addEventListener("click", show);
  window.addEventListener("hashchange", highlight);
  highlight();
})();
