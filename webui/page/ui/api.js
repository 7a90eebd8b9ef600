// The daemon's REST API (docs/api.md) by relative URL, so the page works under any prefix.
// The human-scoped token, when the user gives one, lives in this tab's sessionStorage and is
// sent as a bearer token; writes always need it, reads in token mode too.
const TOKEN_KEY = "hpcmon.token";

export class ApiError extends Error {
  constructor(status, type, message, parameter) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.type = type || "http";
    this.parameter = parameter;
  }
}

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(extra = {}) {
  const out = { Accept: "application/json", ...extra };
  if (token()) out.Authorization = `Bearer ${token()}`;
  return out;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {}))
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function unwrap(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: reported below */ }
  if (response.ok && body && body.status === "success") return body.data;
  const error = body && body.error ? body.error : {};
  throw new ApiError(response.status, error.type, error.message || response.statusText, error.parameter);
}

// get("jobs", {state: "running"}) -> data of GET api/v1/jobs?state=running
export async function get(path, params) {
  const response = await fetch(`api/v1/${path}${query(params)}`, { headers: headers(), cache: "no-store" });
  return unwrap(response);
}

export async function post(path, body) {
  const response = await fetch(`api/v1/${path}`, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json" }),
    body: JSON.stringify(body),
    cache: "no-store",
  });
  return unwrap(response);
}

// The daemon's /api/v1/health, asked once per page load (tells whether Slurm is reachable, so
// pages do not ask for what would be 503).
let healthOnce = null;
export function health() {
  if (!healthOnce) healthOnce = get("health").catch((error) => { healthOnce = null; throw error; });
  return healthOnce;
}

// Asks for the token in the page's dialog; resolves true when one was given.
export function askToken(reason) {
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  document.getElementById("token-reason").textContent = reason || "The daemon needs its human-scoped token for this.";
  input.value = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "ok" && input.value.trim()) { setToken(input.value.trim()); resolve(true); }
      else { if (dialog.returnValue === "clear") setToken(""); resolve(false); }
    }, { once: true });
    dialog.showModal();
    input.focus();
  });
}
