// The console's entry: sign-in, the pages (by the URL's #fragment), and what they share.
import { api, ApiError, readBody, request, token, whenRefused } from "./api.js";
import { accountsList, showAccount } from "./accounts.js";
import { $, replace } from "./dom.js";
import { operationsList, showOperation } from "./operations.js";
import { showOverview } from "./overview.js";

const PAGES = ["overview", "accounts", "account", "operations", "operation"];
let session = null;
let generation = 0;
let controller = new AbortController();
let following = null;
let refresh = () => {};

function notify(message, kind = "info") {
  const notice = $("notice");
  notice.className = `notice notice-${kind}`;
  replace(notice, message);
  notice.hidden = !message;
}

function signedIn(found) {
  session = found;
  $("sign-in").hidden = true;
  $("nav").hidden = false;
  $("who").hidden = false;
  replace($("who-text"), `${found.organization_name} · ${found.role}`);
  route(false);
}

function signOut(reason) {
  token.clear();
  session = null;
  generation += 1;
  controller.abort();
  following = null;
  for (const page of PAGES) $(`page-${page}`).hidden = true;
  $("nav").hidden = true;
  $("who").hidden = true;
  notify("");
  $("sign-in").hidden = false;
  const error = $("sign-in-error");
  error.hidden = !reason;
  replace(error, reason ? `Signed out: ${reason}` : "");
}

async function signIn(candidate) {
  const error = $("sign-in-error");
  let response;
  try {
    response = await request("api/v2/session", { bearer: candidate });
  } catch {
    response = null;
  }
  const body = response ? await readBody(response) : null;
  if (!response || !response.ok) {
    const why = response && response.status === 401
      ? "This token was refused: it is unknown, revoked or expired."
      : `Sign-in failed: ${(body && body.message) || "the service did not answer"}.`;
    replace(error, why);
    error.hidden = false;
    $("token-input").focus();
    return;
  }
  error.hidden = true;
  token.set(candidate);
  $("token-input").value = "";
  signedIn(body);
}

function context() {
  const mine = generation;
  const current = () => mine === generation && session !== null;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    role: session.role,
    canMutate: session.permissions.includes("mutate_accounts"),
    signal: controller.signal,
    current,
    sleep,
    signOut,
    // Run `load` now and every `ms` after it ends, while this page is shown (a load that
    // returns true is done for good); `refresh()` runs it again at once.
    repeat(ms, load) {
      let timer = null;
      let running = false;
      let again = false;
      const tick = async () => {
        clearTimeout(timer);
        if (!current()) return;
        if (running) {
          again = true;
          return;
        }
        running = true;
        let done = false;
        try {
          done = await load();
        } catch (error) {
          if (current()) notify(error.message, "error");
        }
        running = false;
        if (again && !done) {
          again = false;
          tick();
        } else if (!done && current()) timer = setTimeout(tick, ms);
      };
      refresh = tick;
      tick();
    },
    track: (call, label) => track(call, label),
    act: (call, message) => act(call, message),
    follow: (id, label) => follow(id, label),
    tracking: () => following !== null,
  };
}

async function act(call, message) {
  try {
    await call;
    notify(message);
    refresh();
  } catch (error) {
    notify(error.message, "error");
  }
}

async function track(call, label) {
  try {
    const { data } = await call;
    if (data && data.resultHandler) follow(data.resultHandler, label);
  } catch (error) {
    notify(`${label}: ${error.message}`, "error");
  }
}

// The operation's progress, live until it ends.
async function follow(id, label) {
  following = id;
  const mine = generation;
  const progress = $("account-progress");
  while (following === id && mine === generation) {
    let op;
    try {
      op = (await api(`api/v2/operations/${encodeURIComponent(id)}`)).data;
    } catch (error) {
      replace(progress, `${label}: ${error.message}`);
      break;
    }
    const step = op.step ? ` — ${op.step}` : "";
    replace(progress, `${label}: ${op.state}${step}`);
    if (op.done) {
      if (op.error) replace(progress, `${label}: ${op.state} — ${op.error.message}`);
      else if (op.kind === "rotate") {
        replace(progress, `${label}: ${op.state}. The new password is handed out once by ` +
          `GET ${op.result_location}; this console does not read it.`);
      }
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (following === id) following = null;
  if (mine === generation) refresh();
}

function show(page) {
  for (const name of PAGES) $(`page-${name}`).hidden = name !== page;
  const section = page === "account" ? "accounts" : page === "operation" ? "operations" : page;
  for (const anchor of $("nav").querySelectorAll("a")) {
    if (anchor.dataset.page === section) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
}

function route(moveFocus = true) {
  if (!session) return;
  generation += 1;
  controller.abort();
  controller = new AbortController();
  following = null;
  refresh = () => {};
  notify("");
  replace($("account-progress"));
  const [path] = (location.hash.slice(1) || "/overview").split("?");
  const [page, id] = path.split("/").filter(Boolean).map(decodeURIComponent);
  const ctx = context();
  if (page === "accounts" && id) {
    show("account");
    showAccount(ctx, id).catch((error) => notify(error.message, "error"));
  } else if (page === "accounts") {
    show("accounts");
    accountsList.show(ctx);
  } else if (page === "operations" && id) {
    show("operation");
    showOperation(ctx, id);
  } else if (page === "operations") {
    show("operations");
    operationsList.show(ctx);
  } else {
    show("overview");
    showOverview(ctx).catch((error) => notify(error.message, "error"));
  }
  if (moveFocus) $("main").focus();
}

async function start() {
  whenRefused((message) => signOut(message || "the token was refused"));
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("token-input").value.trim());
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  window.addEventListener("hashchange", () => route());
  for (const list of [accountsList, operationsList]) list.bind(() => route(false));
  const kept = token.get();
  if (!kept) return;
  try {
    signedIn((await api("api/v2/session")).data);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) signOut(error.message);
  }
}

start();
