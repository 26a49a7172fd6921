// Building the page from data: every value goes in as text (never parsed as HTML).
const SVG_NS = "http://www.w3.org/2000/svg";
const LIST_REFRESH_MS = 3000;

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

// One entry of a definition list (an account's or an operation's fields).
export function field(name, ...value) {
  return el("div", {}, el("dt", {}, name), el("dd", {}, ...value));
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

// A list page (`PREFIX-filter`, a table, `PREFIX-next`, `PREFIX-first`) refreshed while shown.
// It keeps the position (a name or a cursor) of each page walked to: `apply` reads the filter
// form; `load(pager)` shows the page at `pager.current()` (undefined: the first) and then calls
// `pager.loaded(following)` with the next page's position, or "" when there is none.
export function listPage(prefix, { apply, load }) {
  const walked = [];
  const next = () => $(`${prefix}-next`);
  const pager = {
    current: () => walked[walked.length - 1],
    loaded(following) {
      next().disabled = !following;
      next().dataset.position = following || "";
      $(`${prefix}-first`).disabled = !walked.length;
    },
  };
  return {
    bind(rerun) {
      const restart = () => {
        walked.length = 0;
        rerun();
      };
      $(`${prefix}-filter`).addEventListener("submit", (event) => {
        event.preventDefault();
        apply(new FormData(event.target));
        restart();
      });
      next().addEventListener("click", () => {
        walked.push(next().dataset.position);
        rerun();
      });
      $(`${prefix}-first`).addEventListener("click", restart);
    },
    show(ctx) {
      ctx.repeat(LIST_REFRESH_MS, () => load(pager));
    },
  };
}
