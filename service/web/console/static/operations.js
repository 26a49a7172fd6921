// The operations list (filterable, paged by cursor) and an operation's page.
import { api, nextCursor } from "./api.js";
import {
  $, accountHash, badge, cell, el, field, fillRows, link, listPage, operationHash, replace, when,
} from "./dom.js";

const query = { state: "", kind: "", account: "" };

function operationRow(op) {
  return el("tr", { "data-operation": op.id },
    cell(link(operationHash(op.id), op.id.slice(0, 8))),
    cell(op.kind),
    cell(link(accountHash(op.account), op.account)),
    cell(badge(op.state)),
    cell(op.step || el("span", { class: "muted" }, "—")),
    cell(when(op.created_on)));
}

export const operationsList = listPage("operations", {
  apply(form) {
    query.state = form.get("state");
    query.kind = form.get("kind");
    query.account = form.get("account").trim();
  },
  async load(pager) {
    const { data, headers } = await api("api/v2/operations", {
      query: {
        state: query.state, kind: query.kind, account: query.account, limit: 25,
        cursor: pager.current(),
      },
    });
    fillRows($("operations").tBodies[0], data, operationRow, "No operations match.");
    pager.loaded(nextCursor(headers));
  },
});

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
