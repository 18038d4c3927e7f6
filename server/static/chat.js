// The chat page. Every string from the server or the user is put into the page as text (textContent or
// text nodes), never as HTML, so a document or question can't run a script here.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("ask-form"), box = $("question"), send = $("send"), list = $("conversation");
  const scroller = $("scroller"), empty = $("empty"), status = $("status"), note = $("composer-note");
  const STORE_KEY = "quotes.conversation.v1";
  const MAX_HISTORY = 20; // earlier turns sent with a question; enough for follow-ups, well under the API's limit
  let turns = load(); // [{question, answer: <API answer object> | null, error: string | null, ms: number}]
  let busy = false;
  let health = null;

  const { el, docHref } = window.Quotes;

  function seconds(ms) {
    return ms < 1000 ? `${Math.max(1, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`;
  }

  function load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "[]");
      return Array.isArray(saved) ? saved.filter((t) => t && typeof t.question === "string") : [];
    } catch (_) {
      return [];
    }
  }

  function save() {
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(turns.slice(-50))); } catch (_) { /* storage full or off: not fatal */ }
  }

  // The earlier turns in the API's shape: the questions and the answers' text.
  function history() {
    const out = [];
    for (const t of turns) {
      if (!t.answer) continue;
      out.push({ role: "user", content: t.question });
      out.push({ role: "assistant", content: t.answer.abstained ? "" : t.answer.answer });
    }
    return out.filter((h) => h.content).slice(-MAX_HISTORY);
  }

  // The answer text with each "[n]" turned into a link to the cited span.
  function answerText(answer) {
    const byN = new Map(answer.citations.map((c) => [c.n, c]));
    const p = el("p", { class: "answer-text" });
    const parts = answer.answer.split(/(\[\d+\])/);
    for (const part of parts) {
      const m = /^\[(\d+)\]$/.exec(part);
      const c = m && byN.get(Number(m[1]));
      if (c) {
        p.append(el("a", { class: "cite", href: docHref(c.doc_id, c.start, c.end), target: "_blank", rel: "noopener",
          title: `Source ${c.n}: ${c.title}`, "aria-label": `source ${c.n}, ${c.title}` }, String(c.n)));
      } else if (part) {
        p.append(...withMarks(part));
      }
    }
    return p;
  }

  // A quote's or passage's text with its marks muted: Markdown's bold marks ("**25 days**"), heading marks ("## ")
  // and list bullets ("- ") at a line's start, and a quoted e-mail's "> " marks. Kept, since a quote is verbatim.
  const MARKS = /(\*\*|\n[ \t]*(?:>[ \t]?)+|(?:^|\n)[ \t]*#{1,6}[ \t]+|(?:^|\n)[ \t]*[-*+\u2022][ \t]+)/;
  function withMarks(text) {
    // split() with one capturing group puts the marks at the odd places
    return text.split(MARKS).map((piece, i) => (i % 2 ? el("span", { class: "marker", "aria-hidden": "true" }, piece) : piece))
      .filter((piece) => piece !== "").map((piece) => (typeof piece === "string" ? document.createTextNode(piece) : piece));
  }

  function sourceCard(n, docId, title, text, start, end, page) {
    return el("li", {}, el("a", { class: "source", href: docHref(docId, start, end), target: "_blank", rel: "noopener" },
      el("span", { class: "n", "aria-hidden": "true" }, String(n)),
      el("span", { class: "title" }, title || docId),
      el("span", { class: "excerpt" }, ...withMarks(text)),
      el("span", { class: "file" }, page ? `${docId}, page ${page}` : docId)));  // two documents may share a title
  }

  function meta(turn) {
    const a = turn.answer;
    const bits = [];
    if (a.searched_question && a.searched_question !== a.question) bits.push(el("span", {}, `Searched for: “${a.searched_question}”`));
    bits.push(el("span", { title: "time taken, including the network" }, seconds(turn.ms)));
    return el("p", { class: "meta" }, bits);
  }

  function renderAnswer(turn) {
    const a = turn.answer;
    if (turn.error) return el("div", { class: "answer failed", role: "alert" }, el("p", { class: "abstain-label" }, "Something went wrong"), el("p", {}, turn.error));
    if (!a) return el("div", { class: "answer thinking", "aria-label": "Searching the documents" }, el("span", { class: "dots" }, el("i"), el("i"), el("i")), "Searching your documents…");
    if (a.abstained) {
      const passages = a.passages.slice(0, 3);
      return el("div", { class: "answer abstained" },
        el("p", { class: "abstain-label" }, "Not found in your documents"),
        el("p", {}, a.answer),
        passages.length ? el("details", { class: "passages", open: true },
          el("summary", {}, "Closest passages"),
          el("ol", { class: "source-list" }, passages.map((p, i) => sourceCard(i + 1, p.doc_id, p.title, p.text, p.start, p.end)))) : null,
        meta(turn));
    }
    return el("div", { class: "answer" }, answerText(a),
      a.citations.length ? el("div", { class: "sources" }, el("h3", {}, "Sources"),
        el("ol", { class: "source-list" }, a.citations.map((c) => sourceCard(c.n, c.doc_id, c.title, c.quote, c.start, c.end, c.page)))) : null,
      meta(turn));
  }

  function renderTurn(turn) {
    return el("li", { class: "turn" }, el("div", { class: "question" }, el("p", {}, turn.question)), renderAnswer(turn));
  }

  function render() {
    list.replaceChildren(...turns.map(renderTurn));
    empty.hidden = turns.length > 0;
  }

  async function ask(question) {
    const turn = { question, answer: null, error: null, ms: 0 };
    const earlier = history();
    turns.push(turn);
    render();
    scroller.scrollTop = scroller.scrollHeight;
    busy = true;
    send.disabled = true;
    const t0 = performance.now();
    try {
      const response = await fetch("/api/ask", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question, history: earlier }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.detail || `the server answered ${response.status}`);
      turn.answer = body;
    } catch (err) {
      turn.error = err instanceof TypeError ? "The server can't be reached. Is it still running?" : String(err.message || err);
    }
    turn.ms = performance.now() - t0;
    busy = false;
    send.disabled = false;
    save();
    const node = renderTurn(turn);
    list.lastElementChild.replaceWith(node);
    node.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  function fit() {
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight, window.innerHeight * 0.4)}px`;
  }

  // A line under the box for what the user should know about their input; empty text hides it.
  function tell(text) {
    note.textContent = text;
    note.hidden = !text;
  }

  // The box stops at its maxlength; say so rather than cut a long question silently.
  function checkLength() {
    tell(box.value.length >= box.maxLength ? `Questions are limited to ${box.maxLength.toLocaleString()} characters; the rest was not kept.` : "");
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = box.value.trim();
    if (busy) return;
    if (!question) {
      tell("Type a question first.");
      box.focus();
      return;
    }
    tell("");
    box.value = "";
    fit();
    ask(question);
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  box.addEventListener("input", () => { fit(); checkLength(); });
  $("new-chat").addEventListener("click", () => {
    turns = [];
    save();
    render();
    box.focus();
  });

  // Readiness: the model and the index warm up after the server starts.
  async function checkHealth() {
    try {
      const response = await fetch("/healthz");
      health = await response.json();
    } catch (_) {
      health = null;
    }
    if (health && health.ready) {
      status.hidden = true;
      $("doc-count").textContent = String(health.documents);
      $("token-row").hidden = !health.uploads_need_token;
      return true;
    }
    status.hidden = false;
    status.textContent = health && health.error ? `The server is not ready: ${health.error}` : "Loading the model and the index…";
    return false;
  }

  async function waitUntilReady() {
    while (!(await checkHealth())) await new Promise((r) => setTimeout(r, 1000));
    window.QuotesDocuments.refresh();
  }

  // The documents drawer on narrow screens.
  const toggle = $("toggle-docs");
  function setDrawer(open) {
    document.body.classList.toggle("docs-open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open) $("upload-input").focus(); else toggle.focus();
  }
  toggle.addEventListener("click", () => setDrawer(!document.body.classList.contains("docs-open")));
  $("close-docs").addEventListener("click", () => setDrawer(false));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.body.classList.contains("docs-open")) setDrawer(false);
  });

  render();
  if (turns.length) scroller.scrollTop = scroller.scrollHeight;
  waitUntilReady(); // deferred script: the document is parsed, and documents.js has run
})();
