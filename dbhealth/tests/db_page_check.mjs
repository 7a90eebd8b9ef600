// The dashboard's Database page in Debian's chromium (headless, playwright-core from the build
// tree's npm folder) against a real hpcmond following a captured slurmdbd slow log: the N+1
// finding shows the API's count, the CREATE INDEX suggestion is shown as the API gives it, the
// step query's fingerprint row shows its count, the navigation marks Database, no console error.
//
// node db_page_check.mjs EXPECT.json OUT_DIR
// EXPECT.json: {base, npm_dir, chromium, n_plus_one_count, suggestion, step_fingerprint, step_count, entries}
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
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(`uncaught ${e.message}`));
  await page.goto(`${want.base.replace(/\/?$/, "/")}#/database`);
  await page.waitForSelector('main[data-ready="1"]', { timeout: 15000 });
  await page.screenshot({ path: path.join(outDir, "database.png"), fullPage: true });
  check(await page.locator('#nav a[data-page="database"].active').count() === 1, "the navigation marks Database");
  const n1 = page.locator('[data-testid="db-finding"][data-pattern="n_plus_one"]');
  check(await n1.count() === 1, "one N+1 finding is shown");
  const n1count = await n1.locator('[data-testid="db-finding-count"]').textContent();
  check(n1count === String(want.n_plus_one_count), "its count is the number of jobs", `page ${n1count}, want ${want.n_plus_one_count}`);
  check((await n1.locator("code").textContent()).includes(want.step_fingerprint), "it names the step query's fingerprint");
  const suggestions = await page.locator('[data-testid="db-suggestion"]').allTextContents();
  check(suggestions.length === 1 && suggestions[0] === want.suggestion, "the CREATE INDEX suggestion is the API's", suggestions.join(" | "));
  check(await page.locator('[data-testid="db-finding"][data-pattern="full_scan"]').count() === 1, "the full scan of sacct --name is shown");
  const rows = page.locator('[data-testid="db-fingerprint"]', { hasText: want.step_fingerprint });
  check(await rows.count() === 1, "the step query is among the top fingerprints");
  const shown = await rows.locator('[data-testid="db-fingerprint-count"]').textContent();
  check(shown === String(want.step_count), "its count equals the API's", `page ${shown}, API ${want.step_count}`);
  const entries = await page.locator('[data-testid="db-card-entries"] .card-value').textContent();
  check(entries === String(want.entries), "the statements-read card equals the follower's total", `page ${entries}`);
  check(await page.locator("#banner").isHidden(), "no error banner");
  check(errors.length === 0, "no console errors", errors.join(" | "));
} catch (error) {
  console.error(`FAIL: ${error.message}`);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
