// Drives Debian's chromium (headless, through playwright-core from the build tree's npm
// folder) over every page of the dashboard served by a real hpcmond, and compares what the
// page shows with figures read from the job records by the calling script.
//
// node browser_check.mjs EXPECT.json OUT_DIR
// EXPECT.json: {base, npm_dir, chromium, node_count, mpi_job, plain_job, xss_job, running_job,
//               rank, rank_mpi_fraction, top_function, cell: {src, dst, bytes}, token,
//               token_base (optional: a second daemon in token mode)}
// Writes OUT_DIR/*.png (screenshots), OUT_DIR/requests.txt and OUT_DIR/result.json; exits 1 on
// the first failed check, naming it.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
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
  // The API's data, read the way the page reads it (this daemon's reads need no token).
  const get = async (apiPath) => {
    const json = await (await fetch(`${base}api/v1/${apiPath}`)).json();
    if (json.status !== "success") throw new Error(`GET ${apiPath}: ${JSON.stringify(json.error)}`);
    return json.data;
  };
  const reload = async () => {
    await page.reload();
    await page.waitForSelector(`main[data-ready="1"]`, { timeout: 15000 });
  };
  const shownJobs = () => page.locator('[data-testid="job-row"]').evaluateAll((rows) => rows.map((r) => r.dataset.job));
  // The rows of #/jobs?QUERY equal GET /api/v1/jobs?QUERY (page size 25 unless the query says):
  // read again a few times, as the job list may move between the page's read and ours.
  const jobsMatchApi = async (query, shot, what) => {
    let shown, listed;
    for (let attempt = 0; attempt < 5; ++attempt) {
      if (attempt) await reload();
      else if (shot) await visit(`jobs?${query}`, shot);
      const params = new URLSearchParams(query);
      if (!params.has("limit")) params.set("limit", "25");
      listed = await get(`jobs?${params}`);
      shown = await shownJobs();
      if (JSON.stringify(shown) === JSON.stringify(listed.jobs.map((j) => j.job))) break;
    }
    check(JSON.stringify(shown) === JSON.stringify(listed.jobs.map((j) => j.job)), `${what}: the rows equal GET /api/v1/jobs?${query}`,
      `page ${shown.join(",")}, API ${listed.jobs.map((j) => j.job).join(",")}`);
    return listed;
  };

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
  // Another range, on the node whose agent pushes: each chart has the points of the history
  // API's answer to the page's own request, over the chosen hour; CPU busy's axis labels differ.
  const agentNode = Object.keys((await get("agents")).agents).find((n) => n !== "");
  check(Boolean(agentNode), "an agent pushes to the daemon");
  const historyAnswer = page.waitForResponse((r) => r.url().includes("/api/v1/metrics/history"));
  await visit(`nodes/${encodeURIComponent(agentNode)}?range=1h`, "node-1h");
  const answer = await historyAnswer;
  const asked = new URL(answer.url()).searchParams;
  check(Number(asked.get("end")) - Number(asked.get("start")) === 3600, "the 1h range asks history for one hour",
    `${asked.get("start")}..${asked.get("end")}`);
  const history = (await answer.json()).data;
  const pointsOf = new Map();
  for (const series of history.series || []) {
    const l = series.labels || {};
    if (!l.device && !l.job && !l.step && series.points && series.points.length) pointsOf.set(series.metric, series.points.length);
  }
  if (!pointsOf.size && Array.isArray(history.samples)) {  // the in-memory form: one time axis
    for (const sample of history.samples) for (const metric of Object.keys(sample.values)) pointsOf.set(metric, history.samples.length);
  }
  const drawn = await page.locator('[data-testid="node-chart"]').evaluateAll((boxes) =>
    boxes.map((b) => ({ metric: b.dataset.metric, points: Number(b.dataset.points), ticks: b.dataset.yTicks || "", plots: b.querySelectorAll(".uplot").length })));
  check(drawn.length > 0 && drawn.every((c) => c.plots === 1), "the 1h range draws the node's charts", JSON.stringify(drawn));
  for (const c of drawn) {
    check(c.points === pointsOf.get(c.metric), `chart ${c.metric} has the history API's ${pointsOf.get(c.metric)} points`, String(c.points));
  }
  const cpu = drawn.find((c) => ["cpu_util", "node.cpu_util", "cpu.total.busy_percent"].includes(c.metric));
  check(Boolean(cpu), "the CPU busy chart is drawn", JSON.stringify(drawn.map((c) => c.metric)));
  const cpuTicks = cpu.ticks.split("|");
  check(cpuTicks.length >= 3 && new Set(cpuTicks).size === cpuTicks.length && cpuTicks[0] === "0 %" && cpuTicks.at(-1) === "100 %",
    "CPU busy's axis runs from 0 % to 100 % with distinct labels", cpu.ticks);

  await visit("jobs", "jobs");
  const xssRow = page.locator(`[data-testid="job-row"][data-job="${want.xss_job}"]`);
  check(await xssRow.count() === 1, "the job named with markup is listed");
  check(await xssRow.locator('[data-testid="job-name"]').textContent() === "<img src=x onerror=alert(1)>",
    "a job name with markup shows as text");
  check(await page.locator("main img").count() === 0, "no element was made from a job name");
  // The user filter through the form: the rows equal the API's for that user, and a user with
  // no job gets none.
  const all = await get("jobs?limit=1000");
  const owner = all.jobs.find((j) => j.job === want.mpi_job).user;
  check(Boolean(owner), "the MPI job has a user in the API");
  await page.fill('[data-testid="filter-user"]', owner);
  await page.click('[data-testid="job-filters"] button[type="submit"]');
  await page.waitForFunction((u) => location.hash.includes(`user=${u}`) && document.querySelector('main[data-ready="1"]'), owner);
  const byUser = await jobsMatchApi(`user=${encodeURIComponent(owner)}`, null, `user filter ${owner}`);
  check(byUser.total > 0 && (await shownJobs()).includes(want.mpi_job), "the user filter lists the MPI job's owner's jobs");
  const nobody = await jobsMatchApi("user=hpcmon-no-such-user", "jobs-no-user", "user filter with a user without jobs");
  check(nobody.total === 0 && await page.locator('[data-testid="jobs"] [data-testid="no-data"]').count() === 1,
    "a user without jobs gets the page's 'no job matches'");
  // The time filter (on start times): the second the MPI job started keeps exactly the jobs that
  // started in it (all jobs may start within one second), and a window before every start keeps none.
  const startMs = (j) => Date.parse(j.start);
  const mpiStart = Math.floor(startMs(all.jobs.find((j) => j.job === want.mpi_job)) / 1000);
  const inWindow = await jobsMatchApi(`since=${mpiStart}&until=${mpiStart + 1}`, "jobs-time", "time filter");
  const startedThen = all.jobs.filter((j) => j.start && startMs(j) >= mpiStart * 1000 && startMs(j) <= (mpiStart + 1) * 1000);
  check(inWindow.jobs.some((j) => j.job === want.mpi_job) && inWindow.total === startedThen.length,
    "the time filter keeps the MPI job and exactly the jobs that started in that second", `${inWindow.total} of ${all.total}, ${startedThen.length} started then`);
  const earliest = Math.floor(Math.min(...all.jobs.filter((j) => j.start).map(startMs)) / 1000);
  const before = await jobsMatchApi(`since=${earliest - 3600}&until=${earliest - 1}`, "jobs-time-before", "time filter before every job");
  check(before.total === 0 && all.total > 0, "a window before every job's start lists none", `${before.total} of ${all.total}`);
  check(await page.locator('[data-testid="filter-since"]').inputValue() !== "", "the time filter shows its start in the form");
  // Pagination: one job a page; "Older" moves to the API's next job, and the pager says the total.
  check(all.total >= 3, "at least three jobs to page through", String(all.total));
  await jobsMatchApi("limit=1", "jobs-page-1", "first page of one");
  await page.click('[data-testid="next-page"]');
  await page.waitForFunction(() => location.hash.includes("offset=1") && document.querySelector('main[data-ready="1"]'));
  const second = await jobsMatchApi("limit=1&offset=1", null, "second page of one after Older");
  check((await text('[data-testid="pager"]')).includes(`2–2 of ${second.total}`), "the pager says which rows of the total are shown",
    await text('[data-testid="pager"]'));
  await jobsMatchApi(`limit=1&offset=${all.total - 1}`, "jobs-last-page", "last page of one");
  check(await page.locator('[data-testid="next-page"]').count() === 0, "the last page offers no older page");

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
  {
    // Allocation and efficiency: each card shows the API record's figure of the MPI step.
    const step = (await get(`jobs/${want.mpi_job}/record`)).steps.find((st) => st.record && st.record.has_mpi);
    const summary = step.record.summary;
    const cardOf = async (id) => {
      const box = page.locator(`[data-testid="step"][data-step="${step.step}"] [data-testid="${id}"]`);
      return { value: await box.getAttribute("data-value"), text: (await box.locator(".card-value").textContent()).trim() };
    };
    const ranksCard = await cardOf("eff-ranks");
    check(ranksCard.text === String(summary.ranks) && ranksCard.value === String(summary.ranks), "the Ranks card equals the API's", JSON.stringify(ranksCard));
    const wallCard = await cardOf("eff-wall");
    check(Number(wallCard.value) === summary.wall_s, "the Wall time card holds the API's wall_s", `${wallCard.value} vs ${summary.wall_s}`);
    const mpiCard = await cardOf("mpi-fraction");
    check(Number(mpiCard.value) === summary.mpi_fraction && mpiCard.text === `${(summary.mpi_fraction * 100).toFixed(1)} %`,
      "the Time in MPI card equals the API's fraction", `${JSON.stringify(mpiCard)} vs ${summary.mpi_fraction}`);
    const cpuCard = await cardOf("eff-cpu");
    const cpuShown = summary.cpu_efficiency ? `${(summary.cpu_efficiency * 100).toFixed(1)} %` : "—";
    check(cpuCard.text === cpuShown && cpuCard.value === String(summary.cpu_efficiency ?? ""), "the CPU efficiency card equals the API's",
      `${JSON.stringify(cpuCard)} vs ${summary.cpu_efficiency}`);
    const memCard = await cardOf("eff-memory");
    check(Number(memCard.value) === summary.mem_hwm_bytes && summary.mem_hwm_bytes > 0, "the Memory card holds the API's peak bytes",
      `${memCard.value} vs ${summary.mem_hwm_bytes}`);
  }
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
  {
    // Each list holds the API's alerts of that state (ids compared; resolved ones from the
    // history too); read again a few times, as an alert may move between the two reads.
    const ids = (list) => page.locator(`[data-testid="alerts-${list}"] [data-testid="alert-row"]`).evaluateAll((rows) => rows.map((r) => r.dataset.id).sort());
    let lists, shownLists;
    for (let attempt = 0; attempt < 5; ++attempt) {
      if (attempt) await reload();
      const alerts = (await get("alerts?limit=1000")).alerts;
      const resolvedApi = (await get("alerts?state=resolved&limit=1000")).alerts.map((a) => a.id);
      const apiIds = (pred) => alerts.filter(pred).map((a) => a.id).sort();
      lists = {
        firing: apiIds((a) => a.state === "firing" && !a.acknowledged),
        pending: apiIds((a) => a.state === "pending"),
        resolved: [...new Set([...resolvedApi, ...apiIds((a) => a.state === "resolved")])].sort(),
      };
      shownLists = { firing: await ids("firing"), pending: await ids("pending"), resolved: await ids("resolved") };
      if (JSON.stringify(lists) === JSON.stringify(shownLists)) break;
    }
    for (const list of ["firing", "pending", "resolved"]) {
      check(JSON.stringify(shownLists[list]) === JSON.stringify(lists[list]), `the ${list} alerts list equals the API's`,
        `page ${shownLists[list].join(",")}, API ${lists[list].join(",")}`);
    }
    check(lists.firing.length >= 1 && lists.pending.length >= 1, "the API has firing (WebuiCheck) and pending (WebuiPending) alerts the page lists");
  }
  {
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

  {
    // Behind a reverse proxy under /mon/ (a tiny one here): the page's relative paths keep every
    // request under the prefix; anything outside it is answered 404 and counted.
    const daemon = new URL(base);
    const outside = [];
    const proxy = http.createServer((req, res) => {
      if (!req.url.startsWith("/mon/")) { outside.push(req.url); res.writeHead(404); res.end(); return; }
      const upstream = http.request({ host: daemon.hostname, port: daemon.port, path: req.url.slice(4), method: req.method,
        headers: { ...req.headers, host: daemon.host } }, (answer) => { res.writeHead(answer.statusCode, answer.headers); answer.pipe(res); });
      upstream.on("error", (e) => { res.writeHead(502); res.end(String(e)); });
      req.pipe(upstream);
    });
    await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const prefixed = `http://127.0.0.1:${proxy.address().port}/mon/`;
    const proxied = await context.newPage();
    const proxiedRequests = [];
    const proxiedErrors = [];
    proxied.on("request", (r) => proxiedRequests.push(r.url()));
    proxied.on("console", (m) => { if (m.type() === "error") proxiedErrors.push(`${proxied.url()}: ${m.text()}`); });
    proxied.on("pageerror", (e) => proxiedErrors.push(`${proxied.url()}: uncaught ${e.message}`));
    try {
      for (const route of ["overview", "nodes", "jobs", `jobs/${want.mpi_job}`, "alerts"]) {
        await proxied.goto(`${prefixed}#/${route}`);
        await proxied.waitForSelector('main[data-ready="1"]', { timeout: 15000 });
        await proxied.waitForTimeout(300);
        check(await proxied.locator("#banner").isHidden(), `behind the /mon/ prefix #/${route} shows no error banner`,
          await proxied.locator("#banner").textContent());
      }
      await proxied.goto(`${prefixed}#/jobs/${want.mpi_job}`);
      await proxied.waitForSelector('main[data-ready="1"]', { timeout: 15000 });
      check(await proxied.locator(`[data-testid="rank-row"][data-rank="${want.rank}"]`).count() === 1, "behind the prefix the job page shows the record's ranks");
      await proxied.screenshot({ path: path.join(outDir, "proxied-job.png"), fullPage: true });
      check(proxiedErrors.length === 0, "behind the /mon/ prefix no page logs a console error", proxiedErrors.join(" | "));
      const stray = proxiedRequests.filter((u) => !u.startsWith("data:") && !u.startsWith(prefixed));
      check(stray.length === 0 && outside.length === 0 && proxiedRequests.some((u) => u.startsWith(`${prefixed}api/v1/`)),
        "behind the /mon/ prefix every request stays under it", [...stray, ...outside].join(" "));
    } finally {
      await proxied.close();
      proxy.closeAllConnections();
      proxy.close();
    }
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
