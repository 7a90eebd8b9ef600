// The dashboard's Scheduler page in Debian's chromium (headless, playwright-core from the build
// tree's npm folder) against a real hpcmond: the REQUEST_SUBMIT_BATCH_JOB row shows the count the
// API gives, the user table lists the submitting user, a history chart is drawn, no console error.
//
// node sched_webui_check.mjs EXPECT.json OUT_DIR
// EXPECT.json: {base, npm_dir, chromium, submit_count, user}
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

const [expectFile, outDir] = process.argv.slice(2);
const want = JSON.parse(readFileSync(expectFile, "utf8"));
mkdirSync(outDir, { recursive: true });
const require = createRequire(path.join(want.npm_dir, "package.json"));
const { chromium } = require("playwright-core");

function check(condition, what, detail = "") {
  if (!condition) throw new Error(`${what}${detail ? ": " + detail : ""}`);
  console.log(`ok: ${what}`);
}

const browser = await chromium.launch({
  executablePath: want.chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let failed = false;
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(`uncaught ${e.message}`));
  await page.goto(`${want.base.replace(/\/?$/, "/")}#/scheduler?range=15m`);
  await page.waitForSelector('main[data-ready="1"]', { timeout: 15000 });
  await page.waitForTimeout(300);  // charts draw after the page's data
  await page.screenshot({ path: path.join(outDir, "scheduler.png"), fullPage: true });
  check(await page.locator('#nav a[data-page="scheduler"].active').count() === 1, "the navigation marks Scheduler");
  const row = page.locator('[data-testid="slurmctld-rpc"][data-name="REQUEST_SUBMIT_BATCH_JOB"]');
  check(await row.count() === 1, "the RPC table has a REQUEST_SUBMIT_BATCH_JOB row");
  const shown = await row.locator('[data-testid="slurmctld-rpc-count"]').textContent();
  check(shown === String(want.submit_count), "its count equals the API's", `page ${shown}, API ${want.submit_count}`);
  check(await row.locator("td").nth(1).textContent() === "4003", "its id is 4003");
  check(await page.locator(`[data-testid="slurmctld-user"][data-name="${want.user}"]`).count() === 1,
    `the user table lists ${want.user}`);
  check(await page.locator('[data-testid="slurmdbd-status"]').count() === 1, "slurmdbd's status is shown");
  check(await page.locator('[data-testid="chart-scheduler.rpc_rate"] .uplot').count() >= 1, "the RPC rate chart is drawn");
  check(await page.locator("#banner").isHidden(), "no error banner");
  check(errors.length === 0, "no console errors", errors.join(" | "));
} catch (error) {
  console.error(`FAIL: ${error.message}`);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
