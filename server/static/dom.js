// Small DOM helpers shared by the page scripts. Strings always become text nodes, never HTML.
"use strict";

window.Quotes = (function () {
  // Builds an element: attrs are set as attributes (or listeners for "on..."); string children become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // The document view's URL for an id (a path relative to the docs folder), optionally at a span.
  function docHref(docId, start, end) {
    const path = String(docId).split("/").map(encodeURIComponent).join("/");
    return `/documents/${path}` + (start === undefined ? "" : `#${start}-${end}`);
  }

  function apiPath(docId) {
    return "/api/documents/" + String(docId).split("/").map(encodeURIComponent).join("/");
  }

  function bytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
    return `${(n / 1048576).toFixed(1)} MB`;
  }

  return { el, docHref, apiPath, bytes };
})();
