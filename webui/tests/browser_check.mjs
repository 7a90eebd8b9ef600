// Drives Debian's chromium (headless, through playwright-core from the build tree's npm
// folder) over every page of the dashboard served by a real hpcmond, and compares what the
// page shows with figures read from the job records by the calling script.
//
// node browser_check.mjs EXPECT.json OUT_DIR
// EXPECT.json: {base, npm_dir, chromium, node_count, mpi_job, plain_job, xss_job, running_job,
//               rank, rank_mpi_fraction, top_function, cell: {src, dst, bytes}, token,
//               acknowledge: true|false}
// Writes OUT_DIR/*.png (screenshots), OUT_DIR/requests.txt and OUT_DIR/result.json; exits 1 on
// the first failed check, naming it.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const [expectFile, outDir] = process.argv.slice(2);
const want = JSON.parse(readFileSync(expectFile, "utf8"));
mkdirSync(outDir, { recursive: true });
const require = createRequire(path.join(want.npm_dir, "package.json"));
const { chromium } = require("playwright-core");

const base = want.base.replace(/\/?$/, "/");
const origin = new URL(base).origin;
const consoleErrors = [];
const requests = [];
const dialogs = [];
const passed = [];

function check(condition, what, detail = "") {
  if (!condition) throw new Error(`${what}${detail ? ": " + detail : ""}`);
  passed.push(what);
  console.log(`ok: ${what}`);
}

const browser = await chromium.launch({
  executablePath: want.chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let failure = null;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "Europe/Berlin" });
  const page = await context.newPage();
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`); });
  page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: uncaught ${e.message}`));
  page.on("dialog", async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    if (d.type() === "prompt") await d.accept("checked by the browser test");
    else await d.dismiss();
  });

  const visit = async (hash, shot) => {
    const errorsBefore = consoleErrors.length;
    await page.goto(`${base}#/${hash}`);
    await page.waitForSelector(`main[data-ready="1"]`, { timeout: 15000 });
    await page.waitForTimeout(300);  // charts draw after the page's data
    await page.screenshot({ path: path.join(outDir, `${shot}.png`), fullPage: true });
    check(consoleErrors.length === errorsBefore, `${hash || "/"} loads without console errors`, consoleErrors.slice(errorsBefore).join(" | "));
    check(await page.locator("#banner").isHidden(), `${hash || "/"} shows no error banner`, await page.locator("#banner").textContent());
  };
  const text = async (selector) => (await page.locator(selector).first().textContent()).trim();

  await visit("overview", "overview");
  check(await text('[data-testid="card-nodes"] .card-value') === String(want.node_count),
    "overview node count equals sinfo's", await text('[data-testid="card-nodes"] .card-value'));
  check(!(await text('[data-testid="card-cpu"] .card-value')).startsWith("—"), "overview shows the head's CPU");

  await visit("nodes", "nodes");
  check(await page.locator('[data-testid="node-row"]').count() === want.node_count, "nodes table has sinfo's node count");
  const firstNode = await page.locator('[data-testid="node-row"]').first().getAttribute("data-node");
  await visit(`nodes/${encodeURIComponent(firstNode)}?range=15m`, "node");
  check(await page.locator('[data-testid="node-charts"] .uplot, [data-testid="node-charts"] [data-testid="no-data"]').count() > 0,
    "node page shows series or says there is no history");

  await visit("jobs", "jobs");
  const xssRow = page.locator(`[data-testid="job-row"][data-job="${want.xss_job}"]`);
  check(await xssRow.count() === 1, "the job named with markup is listed");
  check(await xssRow.locator('[data-testid="job-name"]').textContent() === "<img src=x onerror=alert(1)>",
    "a job name with markup shows as text");
  check(await page.locator("main img").count() === 0, "no element was made from a job name");
  await visit(`jobs?state=completed`, "jobs-completed");
  const states = await page.locator('[data-testid="job-row"] .state').allTextContents();
  check(states.length > 0 && states.every((s) => s === "completed"), "the state filter keeps completed jobs only", states.join(","));

  await visit(`jobs/${want.xss_job}`, "job-markup");
  check(await text('[data-testid="job-head"] [data-testid="job-name"]') === "<img src=x onerror=alert(1)>", "job page shows the markup name as text");
  check(await page.locator("main img").count() === 0, "no element was made on the job page");

  await visit(`jobs/${want.mpi_job}`, "job-mpi");
  const row = page.locator(`[data-testid="rank-row"][data-rank="${want.rank}"] [data-testid="rank-mpi-pct"]`);
  const shown = (await row.textContent()).trim();
  const expected = `${(want.rank_mpi_fraction * 100).toFixed(1)} %`;
  check(shown === expected, `rank ${want.rank}'s % in MPI equals the record's`, `page ${shown}, record ${expected}`);
  check(Math.abs(Number(await row.getAttribute("data-fraction")) - want.rank_mpi_fraction) < 1e-9, "rank's MPI fraction is the record's to 1e-9");
  const fractions = (await page.locator('[data-testid="rank-mpi-pct"]').evaluateAll((cells) => cells.map((c) => Number(c.dataset.fraction))));
  check(fractions.every((f, i) => i === 0 || fractions[i - 1] >= f), "ranks are sorted by time in MPI");
  check(await text('[data-testid="function-name"]') === want.top_function, "top MPI function equals the record's",
    await text('[data-testid="function-name"]'));
  const cell = page.locator(`[data-testid="heatmap-cell"][data-src="${want.cell.src}"][data-dst="${want.cell.dst}"]`);
  check(await cell.getAttribute("data-bytes") === String(want.cell.bytes), `heatmap cell ${want.cell.src}→${want.cell.dst} bytes equal the record's`,
    `page ${await cell.getAttribute("data-bytes")}, record ${want.cell.bytes}`);
  check(await page.locator('[data-testid="size-histogram"] .uplot').count() === 1, "message-size histogram drawn");
  check(await page.locator('[data-testid="memory-chart"] .uplot').count() === 1, "memory per rank over time drawn");
  check(await page.locator('[data-testid="memory-chart"] .u-legend .u-series').count() === want.memory_series + 1,
    "memory chart has one line per rank's RSS series of the record");
  check(await page.locator('[data-testid="trace"]').count() === 0 && await page.locator('[data-testid="trace-off"]').count() === 1,
    "the untraced MPI step has no Trace panel and says how to enable tracing");

  // The UTC toggle rewrites every time on the page.
  await page.locator('[data-testid="utc-toggle"]').check();
  await page.waitForSelector(`main[data-ready="1"]`);
  check((await page.locator(".facts dd").allTextContents()).some((t) => t.endsWith(" UTC")), "UTC toggle shows times in UTC");
  await page.locator('[data-testid="utc-toggle"]').uncheck();

  await visit(`jobs/${want.plain_job}`, "job-plain");
  check(await page.locator('[data-testid="no-mpi"]').count() >= 1, "a non-MPI job says it has no MPI tables");

  if (want.running_job) {
    await visit(`jobs/${want.running_job}`, "job-running");
    check(await text('[data-testid="job-state"]') === "running", "the running job shows as running");
    await page.waitForSelector('[data-testid="live-table"]', { timeout: 15000 });
    check(await page.locator('[data-testid="live-table"] tbody tr').count() >= 1, "the running job shows the agents' live readings");
    await page.screenshot({ path: path.join(outDir, "job-running-live.png"), fullPage: true });
  }

  await visit("alerts", "alerts");
  if (want.acknowledge) {
    const button = page.locator('[data-testid="alerts-firing"] [data-testid="ack-button"]').first();
    check(await button.count() === 1, "a firing alert offers acknowledgement");
    const id = await page.locator('[data-testid="alerts-firing"] [data-testid="alert-row"]').first().getAttribute("data-id");
    await button.click();
    await page.waitForSelector('[data-testid="token-dialog"][open]');
    await page.fill('[data-testid="token-input"]', want.token);
    await page.click('[data-testid="token-ok"]');
    await page.waitForSelector(`[data-testid="alerts-acknowledged"] [data-testid="alert-row"][data-id="${id}"]`, { timeout: 10000 });
    await page.screenshot({ path: path.join(outDir, "alerts-acknowledged.png"), fullPage: true });
    writeFileSync(path.join(outDir, "acknowledged.txt"), id);
    check(true, `alert ${id} acknowledged through the page`);
  }

  if (want.token_base) {
    // Token mode: the page says reads need the token, then shows the jobs once it is given.
    const tokenPage = await context.newPage();
    tokenPage.on("request", (r) => requests.push(r.url()));
    const expected401 = [];
    tokenPage.on("console", (m) => { if (m.type() === "error") (m.text().includes("401") ? expected401 : consoleErrors).push(m.text()); });
    tokenPage.on("pageerror", (e) => consoleErrors.push(`token page: uncaught ${e.message}`));
    await tokenPage.goto(`${want.token_base}#/jobs`);
    await tokenPage.waitForSelector('main[data-ready="1"]', { timeout: 15000 });
    check((await tokenPage.locator("#banner").textContent()).includes("token"), "token mode: the page says reads need the token");
    check(expected401.length > 0, "token mode: the API refused the page's reads without the token (401)");
    await tokenPage.click('[data-testid="token-button"]');
    await tokenPage.fill('[data-testid="token-input"]', want.token);
    await tokenPage.click('[data-testid="token-ok"]');
    await tokenPage.waitForSelector(`[data-testid="job-row"][data-job="${want.mpi_job}"]`, { timeout: 15000 });
    await tokenPage.screenshot({ path: path.join(outDir, "token-mode-jobs.png"), fullPage: true });
    check(await tokenPage.locator("#banner").isHidden(), "token mode: with the token the jobs are listed");
    await tokenPage.close();
  }

  check(dialogs.every((d) => d.startsWith("prompt")), "no alert() ever ran", dialogs.join(" | "));
  const origins = new Set([origin, want.token_base ? new URL(want.token_base).origin : origin]);
  const foreign = requests.filter((u) => !u.startsWith("data:") && !origins.has(new URL(u).origin));
  check(foreign.length === 0, "every request went to the daemon's host", foreign.join(" "));
  check(consoleErrors.length === 0, "no console errors at all", consoleErrors.join(" | "));
} catch (error) {
  failure = error.message;
  console.error(`FAIL: ${failure}`);
} finally {
  writeFileSync(path.join(outDir, "requests.txt"), requests.join("\n") + "\n");
  writeFileSync(path.join(outDir, "result.json"), JSON.stringify({ passed, failure, consoleErrors, dialogs, requests: requests.length }, null, 1));
  await browser.close();
}
process.exit(failure ? 1 : 0);
