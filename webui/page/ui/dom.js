// DOM building without HTML strings: every value from the daemon (job names, command lines,
// user names, alert texts) becomes a text node, never markup.

// el("td", {class: "num", dataset: {rank: 3}}, "text", childNode, [more]) -> element
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
    else if (key === "style") Object.assign(node.style, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Several nodes as one (a DocumentFragment), for helpers that give more than one element.
export function fragment(...children) {
  return append(document.createDocumentFragment(), children);
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// A link inside the page (hash route); parts are URI-encoded so an id cannot leave the route.
export function link(route, parts, text, props = {}) {
  const href = "#/" + [route, ...parts.map((p) => encodeURIComponent(String(p)))].join("/");
  return el("a", { href, ...props }, text);
}

// table(["Name", {text: "CPUs", num: true}], rows) where rows are arrays of cells (strings,
// nodes, or {value, num, props}).
export function table(headers, rows, props = {}) {
  const head = el("tr", {}, headers.map((h) =>
    typeof h === "string" ? el("th", { text: h }) : el("th", { class: h.num ? "num" : null, text: h.text })));
  const body = el("tbody", {}, rows.map((row) => {
    if (row instanceof Node) return row;
    return el("tr", {}, row.map(cell));
  }));
  return el("table", { class: "grid", ...props }, el("thead", {}, head), body);
}

export function cell(value) {
  if (value instanceof Node) return el("td", {}, value);
  if (value && typeof value === "object" && !Array.isArray(value))
    return el("td", { class: value.num ? "num" : null, ...(value.props || {}) }, value.value ?? "");
  return el("td", { text: value ?? "" });
}

export function section(title, ...children) {
  return el("section", { class: "panel" }, el("h2", { text: title }), ...children);
}

export function noData(text = "No data") {
  return el("p", { class: "no-data", "data-testid": "no-data", text });
}

// A small card: title, big value, optional detail line.
export function card(title, value, detail, props = {}) {
  return el("div", { class: "card", ...props },
    el("div", { class: "card-title", text: title }),
    el("div", { class: "card-value", text: value }),
    detail ? el("div", { class: "card-detail muted", text: detail }) : null);
}
