// The accounts list (refreshed every 3 s) and an account's page with its actions.
import { api } from "./api.js";
import {
  $, accountHash, badge, bytes, cell, el, field, fillRows, link, listPage, operationHash, replace,
  when,
} from "./dom.js";

const REFRESH_MS = 3000;
const query = { like: "", showLimit: "25", orderBy: "name", history: false };
let editions = null;

function accountRow(account) {
  return el("tr", { "data-account": account.name },
    cell(link(accountHash(account.name), account.name)),
    cell(badge(account.state)),
    cell(account.edition),
    cell(account.enabled ? "yes" : "no"),
    cell(when(account.created_on)),
    cell(when(account.scheduled_deletion_time)));
}

export const accountsList = listPage("accounts", {
  apply(form) {
    query.like = form.get("like").trim();
    query.showLimit = form.get("showLimit");
    query.orderBy = form.get("orderBy");
    query.history = form.get("history") === "on";
  },
  async load(pager) {
    const { data } = await api("api/v2/accounts", {
      query: {
        like: query.like, showLimit: query.showLimit, orderBy: query.orderBy,
        history: query.history ? "true" : "", fromName: pager.current(),
      },
    });
    fillRows($("accounts").tBodies[0], data, accountRow, "No accounts match.");
    // Only the by-name order pages (from the last name shown); a short page is the last.
    const full = data.length >= Number(query.showLimit) && query.orderBy === "name";
    pager.loaded(full ? data[data.length - 1].name : "");
  },
});

function plan(account) {
  const limits = (editions || []).find((e) => e.name === account.edition);
  if (!limits) return account.edition;
  return `${account.edition} (up to ${limits.connection_limit} connections, ` +
    `${bytes(limits.storage_limit_bytes)} of storage)`;
}

function graceDays(account) {
  if (!account.dropped_on || !account.scheduled_deletion_time) return null;
  const days = (Date.parse(account.scheduled_deletion_time) - Date.parse(account.dropped_on)) /
    86400000;
  return `${Math.round(days)} days`;
}

function usage(account) {
  if (!account.usage) return el("span", { class: "muted" }, "not measured by this version");
  const parts = Object.entries(account.usage).map(([name, value]) =>
    `${name.replace(/_/g, " ")}: ${name.endsWith("bytes") ? bytes(value) : value}`);
  return parts.join(", ");
}

function accountFields(account) {
  const grace = graceDays(account);
  return [
    field("State", badge(account.state)),
    field("Plan", plan(account)),
    field("Usage", usage(account)),
    field("Enabled", account.enabled ? "yes" : "no (logins suspended)"),
    field("Deletion protection", account.deletion_protection ? "on" : "off"),
    field("Credentials URL", account.account_url || el("span", { class: "muted" }, "—")),
    field("Locator", account.account_locator),
    field("Created", when(account.created_on)),
    account.dropped_on ? field("Dropped", when(account.dropped_on)) : null,
    grace ? field("Grace period", grace) : null,
    account.scheduled_deletion_time
      ? field("Scheduled deletion", when(account.scheduled_deletion_time)) : null,
    account.restored_on ? field("Restored", when(account.restored_on)) : null,
    account.comment ? field("Comment", account.comment) : null,
    account.external_id ? field("External id", account.external_id) : null,
  ];
}

function historyRow(op) {
  return el("tr", {},
    cell(link(operationHash(op.id), op.id.slice(0, 8))), cell(op.kind),
    cell(badge(op.state)), cell(when(op.created_on)), cell(when(op.finished_on)));
}

function actionButtons(account, ctx, pending) {
  if (!ctx.canMutate) {
    return [el("p", { class: "muted" }, `Your role (${ctx.role}) may only read.`)];
  }
  const path = `api/v2/accounts/${encodeURIComponent(account.name)}`;
  const act = (label, run, css) => el("button", {
    type: "button", class: css, disabled: pending,
    onclick: () => ctx.track(run(), `${label} ${account.name}`),
  }, label);
  const buttons = [];
  if (account.state === "ACTIVE") {
    buttons.push(el("button", {
      type: "button", class: "danger", disabled: pending,
      onclick: () => askDrop(account, ctx, path),
    }, "Drop…"));
    buttons.push(act("Rotate credentials", () => api(`${path}:rotateCredentials`,
      { method: "POST" })));
    const enable = !account.enabled;
    buttons.push(act(enable ? "Enable" : "Disable", () => api(path,
      { method: "PATCH", body: { enabled: enable } })));
  }
  if (account.state === "DROPPED") {
    buttons.push(act("Undrop", () => api(`${path}:undrop`, { method: "POST" })));
  }
  return buttons;
}

function askDrop(account, ctx, path) {
  const dialog = $("drop-dialog");
  replace($("drop-title"), `Drop ${account.name}`);
  dialog.returnValue = "";
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "drop") return;
    const days = $("grace-days").value;
    ctx.track(api(path, { method: "DELETE", query: { gracePeriodInDays: days } }),
      `Drop ${account.name} (grace period ${days} days)`);
  }, { once: true });
  dialog.showModal();
}

export async function showAccount(ctx, name) {
  replace($("account-title"), name);
  if (!editions) editions = (await api("api/v2/editions")).data;
  let shown = "";
  ctx.repeat(REFRESH_MS, async () => {
    const path = `api/v2/accounts/${encodeURIComponent(name)}`;
    const [{ data: account }, { data: history }] = await Promise.all([
      api(path), api("api/v2/operations", { query: { account: name, limit: 20 } }),
    ]);
    replace($("account-fields"), accountFields(account));
    fillRows($("account-history").tBodies[0], history, historyRow, "No operations.");
    const pending = history.find((op) => !op.done);
    const key = `${account.state}|${account.enabled}|${pending ? pending.id : ""}`;
    if (key !== shown) {
      shown = key;
      replace($("account-actions"), actionButtons(account, ctx, Boolean(pending)));
    }
    if (pending && !ctx.tracking()) ctx.follow(pending.id, `${pending.kind} ${name}`);
  });
}
