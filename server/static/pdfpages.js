// A PDF's page view: the page holding the quote named by the URL fragment (#start-end), drawn by the server as a
// PNG, with the quote's lines marked over it and scrolled into view; page navigation, and a switch to the text view.
"use strict";

(function () {
  const view = document.getElementById("page-view");
  const frame = document.getElementById("page-frame");
  const img = document.getElementById("page-img");
  const label = document.getElementById("page-label");
  const note = document.getElementById("page-note");
  const text = document.getElementById("doc-text");
  const prev = document.getElementById("prev-page");
  const next = document.getElementById("next-page");
  const showPage = document.getElementById("show-page");
  const showText = document.getElementById("show-text");
  const docPath = view.dataset.doc.split("/").map(encodeURIComponent).join("/");
  const scale = window.devicePixelRatio > 1 ? 2 : 1.5;
  let sizes = [];
  let current = 1;
  let place = null;

  function setView(pages) {
    view.hidden = !pages;
    text.hidden = pages;
    showPage.setAttribute("aria-pressed", String(pages));
    showText.setAttribute("aria-pressed", String(!pages));
    const mark = text.querySelector("mark.quote");
    if (!pages && mark) mark.scrollIntoView({ block: "center" });
  }

  function marks() {
    for (const old of frame.querySelectorAll(".page-mark")) old.remove();
    if (!place || place.page !== current) return [];
    const [width, height] = sizes[current - 1];
    const pad = 1.5;  // points around the characters' tight boxes, so the mark doesn't clip the letters
    return place.boxes.map(([x0, y0, x1, y1]) => {
      const box = document.createElement("div");
      box.className = "page-mark";
      box.style.left = `${((x0 - pad) / width) * 100}%`;
      box.style.top = `${((height - y1 - pad) / height) * 100}%`;
      box.style.width = `${((x1 - x0 + 2 * pad) / width) * 100}%`;
      box.style.height = `${((y1 - y0 + 2 * pad) / height) * 100}%`;
      frame.append(box);
      return box;
    });
  }

  function show(page) {
    current = Math.min(Math.max(page, 1), sizes.length);
    label.textContent = `Page ${current} of ${sizes.length}`;
    prev.disabled = current <= 1;
    next.disabled = current >= sizes.length;
    const [width, height] = sizes[current - 1];
    img.width = Math.round(width);  // the page's shape is known before the picture arrives: nothing jumps
    img.height = Math.round(height);
    img.alt = `Page ${current} of the PDF` + (place && place.page === current ? ", with the quoted lines marked" : "");
    img.src = `/api/documents/${docPath}/pages/${current}.png?scale=${scale}`;
    const boxes = marks();
    if (boxes.length) boxes[0].scrollIntoView({ block: "center" });
  }

  async function load() {
    const m = /^#(\d+)-(\d+)$/.exec(window.location.hash);
    const query = m ? `?start=${m[1]}&end=${m[2]}` : "";
    try {
      const response = await fetch(`/api/documents/${docPath}/pages${query}`);
      const body = await response.json();
      if (!response.ok) throw new Error(body.detail || response.statusText);
      sizes = body.sizes;
      place = body.quote;
    } catch (err) {
      note.textContent = `The pages can't be shown: ${err.message}. This is the text the answers quote.`;
      note.hidden = false;
      showPage.disabled = true;
      view.querySelector(".page-nav").hidden = true;
      frame.hidden = true;
      setView(false);
      view.hidden = false;
      return;
    }
    note.hidden = !(m && !place);
    note.textContent = "The quote could not be placed on a page: the Text view marks it.";
    show(place ? place.page : 1);
  }

  prev.addEventListener("click", () => show(current - 1));
  next.addEventListener("click", () => show(current + 1));
  frame.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft" && current > 1) show(current - 1);
    else if (event.key === "ArrowRight" && current < sizes.length) show(current + 1);
    else return;
    event.preventDefault();
  });
  img.addEventListener("load", () => {
    const first = frame.querySelector(".page-mark");
    if (first) first.scrollIntoView({ block: "center" });
  });
  showPage.addEventListener("click", () => setView(true));
  showText.addEventListener("click", () => setView(false));
  window.addEventListener("hashchange", () => { setView(true); load(); });
  load();
})();
