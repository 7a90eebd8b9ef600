// The dashboard's shell: hash routes (#/overview, #/nodes[/name], #/jobs[/id], #/alerts), the
// UTC toggle, the token button, and one refresh timer per page at the daemon's interval.
import * as api from "./api.js";
import { disposeCharts } from "./charts.js";
import { clear, el } from "./dom.js";
import { setUtcMode, utcMode } from "./format.js";
import { overviewPage } from "./pages/overview.js";
import { nodesPage, nodePage } from "./pages/nodes.js";
import { jobsPage } from "./pages/jobs.js";
import { jobPage } from "./pages/job.js";
import { alertsPage } from "./pages/alerts.js";
import { databasePage } from "./database.js";
import { schedulerPage } from "./scheduler.js";

const main = document.getElementById("main");
let current = null;  // {stop()} of the page shown

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(search) };
}

export function navigate(parts, params) {
  const search = params && params.toString() ? `?${params}` : "";
  location.hash = "#/" + parts.map(encodeURIComponent).join("/") + search;
}

// What every page gets: where to draw, a timer that stops with the page, error display.
function context() {
  const timers = [];
  let stopped = false;
  return {
    main,
    params: parseHash().params,
    every(seconds, work) {
      const run = async () => {
        if (stopped) return;
        try { await work(); } catch (error) { showError(error); }
        if (!stopped) timers.push(setTimeout(run, Math.max(1, seconds) * 1000));
      };
      timers.push(setTimeout(run, Math.max(1, seconds) * 1000));
    },
    get stopped() { return stopped; },
    stop() { stopped = true; timers.forEach(clearTimeout); },
    navigate,
  };
}

const banner = document.getElementById("banner");
export function showError(error) {
  if (error instanceof api.ApiError && error.status === 401) {
    banner.textContent = "This daemon needs a token to read (access mode token). Use the Token button.";
  } else {
    banner.textContent = `Error: ${error.message || error}`;
  }
  banner.hidden = false;
}

async function route() {
  if (current) current.stop();
  disposeCharts();
  banner.hidden = true;
  clear(main);
  const { parts } = parseHash();
  const page = parts[0] || "overview";
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === page);
  const ctx = context();
  current = ctx;
  main.dataset.page = page;
  main.dataset.ready = "0";
  try {
    if (page === "overview") await overviewPage(ctx);
    else if (page === "nodes" && parts[1]) await nodePage(ctx, parts[1]);
    else if (page === "nodes") await nodesPage(ctx);
    else if (page === "jobs" && parts[1]) await jobPage(ctx, parts[1]);
    else if (page === "jobs") await jobsPage(ctx);
    else if (page === "alerts") await alertsPage(ctx);
    else if (page === "database") await databasePage(ctx);
    else if (page === "scheduler") await schedulerPage(ctx);
    else main.append(el("p", { text: "Unknown page." }));
  } catch (error) {
    showError(error);
  }
  if (current === ctx) main.dataset.ready = "1";  // tests wait for this
}

const toggle = document.getElementById("utc-toggle");
toggle.checked = utcMode();
toggle.addEventListener("change", () => { setUtcMode(toggle.checked); route(); });
document.getElementById("token-button").addEventListener("click", async () => {
  await api.askToken("The human-scoped token of this daemon (api.token_file), for reads in token mode and for acknowledgements.");
  route();
});
window.addEventListener("hashchange", route);

api.health().then((health) => {
  document.getElementById("cluster").textContent = `${health.cluster} · ${health.node} · access ${health.access}`;
}).catch(showError);
route();
