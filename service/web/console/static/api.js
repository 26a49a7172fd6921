// Calls to the API with the token as a Bearer header: never in a URL, never a cookie.
const TOKEN_KEY = "provisioner.console.token";

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `the service answered ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

let onRefused = () => {};

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

// What to do when the service refuses the token (401): sign out, say why.
export function whenRefused(callback) {
  onRefused = callback;
}

export function request(path, { method = "GET", query, body, accept, signal, bearer } = {}) {
  const url = new URL(path, document.baseURI);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, value);
  }
  const headers = {
    Authorization: `Bearer ${bearer || token.get()}`,
    Accept: accept || "application/json",
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    credentials: "omit",
    cache: "no-store",
  });
}

export async function readBody(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export async function api(path, options = {}) {
  const response = await request(path, options);
  const data = await readBody(response);
  if (response.status === 401 && !options.bearer) {
    onRefused(data && data.message);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { status: response.status, data, headers: response.headers };
}

// The `cursor` of a `Link: <...>; rel="next"` header, or null.
export function nextCursor(headers) {
  const found = /<([^>]+)>;\s*rel="next"/.exec(headers.get("Link") || "");
  return found ? new URL(found[1], document.baseURI).searchParams.get("cursor") : null;
}
