// The live overview: server-sent events read with fetch() (the token goes in a header), and
// polling every 5 s when the stream cannot be had.
import { readBody, request } from "./api.js";
import { minuteBars, OUTCOMES, purgeTimeline, sparkline } from "./charts.js";
import {
  $, badge, cell, el, fillRows, link, operationHash, accountHash, replace, seconds, when,
} from "./dom.js";

const POLL_MS = 5000;
const POLLS_BEFORE_RETRY = 6;

async function* events(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer = (buffer + value).replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") name = text;
        else if (field === "data") data.push(text);
      }
      if (data.length) yield { name, data: data.join("\n") };
    }
  }
}

function queueCard(queue) {
  return el("article", { class: "card", "aria-label": `Queue ${queue.name}` },
    el("h3", {}, queue.name),
    el("dl", { class: "numbers" },
      el("div", {}, el("dt", {}, "Ready"), el("dd", { "data-field": "ready" }, queue.ready)),
      el("div", {}, el("dt", {}, "Unacked"), el("dd", { "data-field": "unacked" }, queue.unacked)),
      el("div", {}, el("dt", {}, "Oldest waiting"),
        el("dd", { "data-field": "oldest" }, seconds(queue.oldest_waiting_seconds)))),
    sparkline(queue.samples, `Queue ${queue.name}`),
    el("p", { class: "legend" }, el("span", { class: "key-ready" }, "ready"), " ",
      el("span", { class: "key-unacked" }, "unacked"), " · last 15 minutes"));
}

function workerRow(worker) {
  const pid = worker.id.split(":").pop();
  return el("tr", { class: `worker-${worker.status}`, "data-worker-id": worker.id,
    "data-status": worker.status },
  cell(worker.name || "?", el("span", { class: "muted" }, ` pid ${pid}`)),
  cell(badge(worker.status)),
  cell(when(worker.last_heartbeat)),
  cell(seconds(worker.age_seconds)),
  cell(worker.active ?? "—"),
  cell(worker.processed ?? "—"));
}

function byKind(minutes) {
  const table = $("ops-by-kind");
  const totals = {};
  for (const entry of minutes) {
    totals[entry.kind] = totals[entry.kind] || {};
    totals[entry.kind][entry.state] = (totals[entry.kind][entry.state] || 0) + entry.count;
  }
  replace(table.tHead, el("tr", {}, el("th", { scope: "col" }, "Kind"),
    OUTCOMES.map((o) => el("th", { scope: "col" }, el("span", { class: `key-${o}` }, o)))));
  fillRows(table.tBodies[0], Object.entries(totals).sort(), ([kind, counts]) =>
    el("tr", {}, el("th", { scope: "row" }, kind), OUTCOMES.map((o) => cell(counts[o] || 0))),
  "No operations in the last 15 minutes.");
}

function purges(overview, now) {
  const backlog = overview.purge_backlog;
  replace($("purge-backlog"),
    `${backlog.due} purge${backlog.due === 1 ? "" : "s"} due now`,
    backlog.oldest_due_since ? [" (oldest due since ", when(backlog.oldest_due_since), ")"] : "",
    ". Next scheduled:");
  replace($("purge-timeline"), purgeTimeline(overview.next_purges, now),
    el("ol", { class: "purges" }, overview.next_purges.map((p) =>
      el("li", {}, link(accountHash(p.account), p.account), " — ",
        when(p.scheduled_deletion_time)))));
}

function bytes(count) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

function byLimit(counts) {
  return `storage ${counts.storage ?? 0}, connections ${counts.connections ?? 0}`;
}

function usage(overview) {
  fillRows($("clusters").tBodies[0], overview.clusters, (c) => el("tr", {},
    cell(c.name), cell(String(c.accounts)), cell(bytes(c.storage_bytes)),
    cell(String(c.connections)), cell(byLimit(c.over_limit)), cell(byLimit(c.near_limit)),
    cell(when(c.measured_on))),
  "No usage scan has run yet.");
  fillRows($("limits-reached").tBodies[0], overview.limits_reached, (a) => el("tr", {},
    cell(link(accountHash(a.account), a.account)), cell(bytes(a.storage_bytes)),
    cell(String(a.connections)), cell(a.over_limit ?? "—"), cell(a.near_limit.join(", ") || "—")),
  "No account is over or near a limit.");
}

export function renderOverview(overview) {
  const now = Date.parse(overview.generated_on);
  replace($("queues"), overview.queues.map(queueCard));
  fillRows($("workers").tBodies[0], overview.workers, workerRow, "No worker has been seen.");
  replace($("ops-chart"), minuteBars(overview.operations_per_minute, now),
    el("p", { class: "legend" }, OUTCOMES.map((o) => [el("span", { class: `key-${o}` }, o), " "]),
      overview.operations_capped ? "· (only the newest operations are counted)" : ""));
  byKind(overview.operations_per_minute);
  fillRows($("stuck").tBodies[0], overview.stuck, (op) => el("tr", {},
    cell(link(operationHash(op.id), op.id.slice(0, 8))), cell(op.kind),
    cell(link(accountHash(op.account), op.account)), cell(when(op.claimed_on))),
  "Nothing is stuck.");
  purges(overview, now);
  usage(overview);
  replace($("overview-updated"), when(overview.generated_on));
}

function refused(message) {
  $("overview-body").hidden = true;
  replace($("overview-refused"), message);
  $("overview-refused").hidden = false;
  replace($("live-state"), "not available");
}

// Returns true to go on, false when the page must stop (refused, or left).
async function handle(response, ctx) {
  if (response.status === 401) {
    ctx.signOut((await readBody(response))?.message);
    return false;
  }
  if (response.status === 403) {
    refused(`Your role (${ctx.role}) may not watch the queues; the accounts and operations ` +
      "pages are open to you.");
    return false;
  }
  return true;
}

async function poll(ctx, times) {
  for (let index = 0; index < times && ctx.current(); index += 1) {
    const response = await request("api/v2/console/overview", { signal: ctx.signal });
    if (!(await handle(response, ctx))) return false;
    if (response.ok) renderOverview(await response.json());
    await ctx.sleep(POLL_MS);
  }
  return true;
}

async function stream(ctx) {
  const response = await request("api/v2/console/overview", {
    accept: "text/event-stream", signal: ctx.signal,
  });
  if (!(await handle(response, ctx))) return false;
  if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
  replace($("live-state"), "live");
  for await (const event of events(response.body)) {
    const body = JSON.parse(event.data);
    if (event.name === "overview") {
      renderOverview(body);
      replace($("live-state"), "live");
    } else if (event.name === "error" && !pushFailed(body, ctx)) return false;
  }
  return true;
}

function pushFailed(body, ctx) {
  if (body.code === "unauthenticated") {
    ctx.signOut(body.message);
    return false;
  }
  if (body.code === "permission_denied") {
    refused(body.message);
    return false;
  }
  replace($("live-state"), `live (the last push failed: ${body.message})`);
  return true;
}

export async function showOverview(ctx) {
  $("overview-body").hidden = false;
  $("overview-refused").hidden = true;
  replace($("live-state"), "connecting…");
  while (ctx.current()) {
    try {
      if (!(await stream(ctx))) return;
    } catch (error) {
      if (!ctx.current()) return;
      replace($("live-state"), "stream lost: polling every 5 s");
      try {
        if (!(await poll(ctx, POLLS_BEFORE_RETRY))) return;
      } catch {
        await ctx.sleep(POLL_MS);
      }
    }
  }
}
