// Building the page from data: every value goes in as text (never parsed as HTML).
const SVG_NS = "http://www.w3.org/2000/svg";

function setAttributes(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.setAttribute("class", value);
    else if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else node.setAttribute(name, value === true ? "" : String(value));
  }
}

function appendAll(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttributes(node, attrs);
  appendAll(node, children);
  return node;
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attrs);
  appendAll(node, children);
  return node;
}

export function $(id) {
  return document.getElementById(id);
}

export function replace(node, ...children) {
  node.replaceChildren();
  appendAll(node, children);
}

// A time in the viewer's zone, with the UTC value on hover.
export function when(iso) {
  if (!iso) return el("span", { class: "muted" }, "—");
  const moment = new Date(iso);
  const utc = moment.toISOString().replace(/\.\d{3}Z$/, "Z");
  return el("time", { datetime: iso, title: `UTC: ${utc}` }, moment.toLocaleString());
}

export function seconds(value) {
  if (value === null || value === undefined) return "—";
  if (value < 90) return `${Math.round(value)} s`;
  if (value < 5400) return `${Math.round(value / 60)} min`;
  return `${(value / 3600).toFixed(1)} h`;
}

export function bytes(value) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

export function badge(text, kind = text) {
  return el("span", { class: `badge badge-${String(kind).toLowerCase()}` }, text);
}

export function cell(...children) {
  return el("td", {}, ...children);
}

// Rows are rebuilt only when the data changed, so focus and selection survive a refresh.
export function fillRows(tbody, items, row, empty) {
  const key = JSON.stringify(items);
  if (tbody.dataset.key === key) return;
  tbody.dataset.key = key;
  if (!items.length) {
    const columns = tbody.closest("table").querySelectorAll("thead th").length || 1;
    replace(tbody, el("tr", {}, el("td", { colspan: columns, class: "muted" }, empty)));
    return;
  }
  replace(tbody, items.map(row));
}

export function link(hash, text) {
  return el("a", { href: hash }, text);
}

export function accountHash(name) {
  return `#/accounts/${encodeURIComponent(name)}`;
}

export function operationHash(id) {
  return `#/operations/${encodeURIComponent(id)}`;
}

// A list's filter form and pager (`PREFIX-filter`, `PREFIX-next`, `PREFIX-first`): `apply`
// reads the form, `next` moves a page on (from the next button's data), `first` goes back.
export function bindList(prefix, { apply, next, first }, rerun) {
  $(`${prefix}-filter`).addEventListener("submit", (event) => {
    event.preventDefault();
    apply(new FormData(event.target));
    first();
    rerun();
  });
  $(`${prefix}-next`).addEventListener("click", () => {
    next($(`${prefix}-next`).dataset);
    rerun();
  });
  $(`${prefix}-first`).addEventListener("click", () => {
    first();
    rerun();
  });
}
