// The operations list (filterable, paged by cursor) and an operation's page.
import { api, nextCursor } from "./api.js";
import {
  $, accountHash, badge, bindList, cell, el, fillRows, link, operationHash, replace, when,
} from "./dom.js";

const REFRESH_MS = 3000;
const query = { state: "", kind: "", account: "", cursors: [] };

function operationRow(op) {
  return el("tr", { "data-operation": op.id },
    cell(link(operationHash(op.id), op.id.slice(0, 8))),
    cell(op.kind),
    cell(link(accountHash(op.account), op.account)),
    cell(badge(op.state)),
    cell(op.step || el("span", { class: "muted" }, "—")),
    cell(when(op.created_on)));
}

async function loadOperations() {
  const { data, headers } = await api("api/v2/operations", {
    query: {
      state: query.state, kind: query.kind, account: query.account, limit: 25,
      cursor: query.cursors[query.cursors.length - 1],
    },
  });
  fillRows($("operations").tBodies[0], data, operationRow, "No operations match.");
  const following = nextCursor(headers);
  $("operations-next").disabled = !following;
  $("operations-next").dataset.cursor = following || "";
  $("operations-first").disabled = !query.cursors.length;
}

export function bindOperations(rerun) {
  bindList("operations", {
    apply(form) {
      query.state = form.get("state");
      query.kind = form.get("kind");
      query.account = form.get("account").trim();
    },
    next: (data) => query.cursors.push(data.cursor),
    first: () => { query.cursors = []; },
  }, rerun);
}

export function showOperations(ctx) {
  ctx.repeat(REFRESH_MS, loadOperations);
}

function field(name, ...value) {
  return el("div", {}, el("dt", {}, name), el("dd", {}, ...value));
}

function operationFields(op) {
  return [
    field("Kind", op.kind),
    field("Account", link(accountHash(op.account), op.account)),
    field("State", badge(op.state)),
    field("Step", op.step || el("span", { class: "muted" }, "—")),
    field("Attempts", op.attempts),
    field("Created", when(op.created_on)),
    field("Started", when(op.started_on)),
    field("Finished", when(op.finished_on)),
    op.error ? field("Error", el("span", { class: "error" },
      `${op.error.code}: ${op.error.message}`)) : null,
    op.result ? field("Result", op.result.status) : null,
    field("Result handle", op.result_location),
  ];
}

export function showOperation(ctx, id) {
  replace($("operation-title"), `Operation ${id.slice(0, 8)}`);
  let shown = "";
  ctx.repeat(1000, async () => {
    const { data: op } = await api(`api/v2/operations/${encodeURIComponent(id)}`);
    replace($("operation-fields"), operationFields(op));
    const key = `${op.state}`;
    if (key !== shown) {
      shown = key;
      const cancel = ctx.canMutate && op.state === "queued"
        ? el("button", {
          type: "button", class: "danger",
          onclick: () => ctx.act(api(`api/v2/operations/${encodeURIComponent(id)}:cancel`,
            { method: "POST" }), "Canceled."),
        }, "Cancel operation")
        : null;
      replace($("operation-actions"), cancel);
    }
    return op.done; // a finished operation no longer changes
  });
}
