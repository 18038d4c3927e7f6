// The documents panel: list, upload (then the new file is indexed and answerable), delete.
"use strict";

window.QuotesDocuments = (function () {
  const { el, docHref, apiPath, bytes } = window.Quotes;
  const $ = (id) => document.getElementById(id);
  const listNode = $("doc-list"), form = $("upload-form"), input = $("upload-input"), button = $("upload-button");
  const note = $("upload-status"), token = $("token"), count = $("doc-count");
  const TOKEN_KEY = "quotes.token";
  token.value = sessionStorage.getItem(TOKEN_KEY) || "";
  token.addEventListener("change", () => sessionStorage.setItem(TOKEN_KEY, token.value));

  function say(message, isError) {
    note.textContent = message;
    note.classList.toggle("error", Boolean(isError));
  }

  function authHeaders() {
    return token.value ? { Authorization: `Bearer ${token.value}` } : {};
  }

  async function failure(response) {
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) $("token-row").hidden = false;
    return body.detail || `the server answered ${response.status}`;
  }

  function row(doc) {
    const del = el("button", { class: "btn ghost small danger", type: "button", "aria-label": `Delete ${doc.title}` }, "Delete");
    let armed = null;
    del.addEventListener("click", async () => {
      if (!armed) { // a second click within 4 s confirms; no native dialog
        del.textContent = "Confirm";
        armed = setTimeout(() => { armed = null; del.textContent = "Delete"; }, 4000);
        return;
      }
      clearTimeout(armed);
      del.disabled = true;
      say(`Removing ${doc.doc_id}…`);
      const response = await fetch(apiPath(doc.doc_id), { method: "DELETE", headers: authHeaders() }).catch(() => null);
      if (response && response.ok) {
        say(`Removed ${doc.doc_id}.`);
        refresh();
      } else {
        say(`Could not remove it: ${response ? await failure(response) : "the server can't be reached"}`, true);
        del.disabled = false;
      }
    });
    return el("li", { class: "doc" },
      el("a", { href: docHref(doc.doc_id), target: "_blank", rel: "noopener", title: doc.doc_id }, doc.title || doc.doc_id),
      el("span", { class: "doc-meta" }, `${doc.doc_id} · ${bytes(doc.size)} · ${doc.chunks} passage${doc.chunks === 1 ? "" : "s"}`),
      del);
  }

  async function refresh() {
    const response = await fetch("/api/documents").catch(() => null);
    if (!response || !response.ok) return;
    const docs = await response.json();
    count.textContent = String(docs.length);
    listNode.replaceChildren(...(docs.length ? docs.map(row) : [el("li", { class: "muted small" }, "No documents yet: add one above.")]));
  }

  // A big file is indexed in the background (202 with a job): show how far it is, with a Cancel button, until it ends.
  async function follow(name, job) {
    const cancel = el("button", { class: "btn ghost small", type: "button" }, "Cancel");
    cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      await fetch(`/api/jobs/${encodeURIComponent(job.id)}`, { method: "DELETE", headers: authHeaders() }).catch(() => null);
    });
    while (job.status === "queued" || job.status === "running") {
      const share = job.total ? ` ${Math.floor((100 * job.done) / job.total)}%` : "";
      const stage = job.stage && !job.total ? ` (${job.stage})` : "";  // a long OCR reading, before the embedding
      note.replaceChildren(`Indexing ${name}${job.status === "queued" ? " (waiting for the build before it)" : ""}…${share}${stage} `, cancel);
      note.classList.remove("error");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const response = await fetch(`/api/jobs/${encodeURIComponent(job.id)}`).catch(() => null);
      if (response && response.ok) job = await response.json();
    }
    if (job.status === "done" && !job.message) return { ok: true, line: `Added ${job.files.join(", ")}.` };
    return { ok: false, line: `${name}: ${job.message || job.status}` };
  }

  // One file's upload: a line for the summary, and whether it was added or already there.
  async function upload(file) {
    const data = new FormData();
    data.append("file", file);
    const response = await fetch("/api/documents", { method: "POST", body: data, headers: authHeaders() }).catch(() => null);
    if (response && response.status === 202) return follow(file.name, (await response.json()).job);
    if (response && response.ok) {
      const body = await response.json();
      return { ok: true, line: body.existing
        ? `${file.name} is already indexed as ${body.document.doc_id}; nothing was added.`
        : `Added ${body.document.doc_id} (${body.document.chunks} passages, ${body.seconds.toFixed(1)} s).` };
    }
    return { ok: false, line: `${file.name} not added: ${response ? await failure(response) : "the server can't be reached"}` };
  }

  // Several files go one after the other, each indexed before the next; the note says how far it has got.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const files = Array.from(input.files || []);
    if (!files.length) { say("Choose a file first.", true); input.focus(); return; }
    button.disabled = true;
    const lines = [];
    let failed = 0;
    for (const [i, file] of files.entries()) {
      say(files.length > 1 ? `Indexing ${file.name} (${i + 1} of ${files.length})…` : `Indexing ${file.name}…`);
      const result = await upload(file);
      failed += result.ok ? 0 : 1;
      lines.push(result.line);
      if (result.ok) refresh();
    }
    button.disabled = false;
    const taken = files.length - failed;
    if (taken) form.reset();
    say(lines.join(" ") + (taken ? ` You can ask about ${taken > 1 ? "them" : "it"} now.` : ""), failed > 0);
  });

  // Files can change outside the page (`rag serve --watch`, `rag index` in a terminal): when the served generation
  // changes, the list is read again. Only while the page is visible, every few seconds.
  let generation = null;
  setInterval(async () => {
    if (document.hidden) return;
    const response = await fetch("/healthz").catch(() => null);
    const health = response && response.ok ? await response.json().catch(() => null) : null;
    if (!health || !health.generation || health.generation === generation) return;
    generation = health.generation;
    refresh();  // also the first time: the folder may have changed since the list was first read
  }, 3000);

  return { refresh };
})();
