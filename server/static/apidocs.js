// A small, local reference of the HTTP API, read from /openapi.json (the stock Swagger page needs a CDN).
"use strict";

(function () {
  const { el } = window.Quotes;
  const target = document.getElementById("endpoints");

  function schemaName(ref) {
    return ref ? ref.split("/").pop() : "";
  }

  function bodyOf(op) {
    const content = (op.requestBody && op.requestBody.content) || {};
    const [type, spec] = Object.entries(content)[0] || [];
    return type ? `${type}${spec.schema && spec.schema.$ref ? ` (${schemaName(spec.schema.$ref)})` : ""}` : "";
  }

  function endpoint(path, method, op, spec) {
    const ok = op.responses && (op.responses["200"] || op.responses["201"]);
    const out = ok && ok.content && ok.content["application/json"] && ok.content["application/json"].schema;
    const outName = out ? schemaName(out.$ref || (out.items && out.items.$ref)) + (out.items ? "[]" : "") : "";
    const body = bodyOf(op);
    const ref = op.requestBody && op.requestBody.content && Object.values(op.requestBody.content)[0].schema.$ref;
    const example = ref && spec.components.schemas[schemaName(ref)].examples;
    return el("section", { class: "endpoint" },
      el("h2", { class: "small" }, el("span", { class: "method" }, method.toUpperCase()), el("code", {}, path)),
      el("p", {}, op.description || op.summary || ""),
      body ? el("p", { class: "small muted" }, `Request body: ${body}`) : null,
      outName ? el("p", { class: "small muted" }, `Response: ${outName}`) : null,
      example ? el("pre", {}, JSON.stringify(example[0], null, 2)) : null);
  }

  fetch("/openapi.json").then((r) => r.json()).then((spec) => {
    const nodes = [];
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) nodes.push(endpoint(path, method, op, spec));
    }
    target.replaceChildren(...nodes);
  }).catch(() => { target.replaceChildren(el("p", {}, "Could not load /openapi.json.")); });
})();
