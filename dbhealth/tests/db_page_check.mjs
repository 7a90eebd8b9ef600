// The dashboard's Database page in Debian's chromium (webui/tests/page_check.mjs) against a real
// hpcmond following a captured slurmdbd slow log: the N+1 finding shows the API's count, the
// CREATE INDEX suggestion is shown as the API gives it, the step query's fingerprint row shows
// its count, the navigation marks Database; over the 15-minute range each history chart drew
// exactly the points GET api/v1/metrics/history gives for its window (the charts named in
// history_charts must be there); no console error.
//
// node db_page_check.mjs EXPECT.json OUT_DIR
// EXPECT.json: {base, npm_dir, chromium, n_plus_one_count, suggestion, step_fingerprint, step_count, entries,
//               history_charts: ["db.fingerprint_p95_s", ...]}
import { runPageCheck } from "../../webui/tests/page_check.mjs";
import { checkHistoryCharts, settledWindow } from "../../webui/tests/history_charts.mjs";

await runPageCheck(process.argv.slice(2), async ({ want, page, check, open, get }) => {
  await open("database", "database");
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
  const api = (await get("db")).fingerprints.find((f) => f.fingerprint.includes(want.step_fingerprint));
  const sources = await rows.locator('[data-testid="db-fingerprint-sources"]').textContent();
  check(api && sources === api.sources.join(", "), "its source column equals the API's sources", `page ${sources}, API ${api && api.sources}`);
  const entries = await page.locator('[data-testid="db-card-entries"] .card-value').textContent();
  check(entries === String(want.entries), "the statements-read card equals the follower's total", `page ${entries}`);

  const required = want.history_charts || ["db.fingerprint_p95_s", "db.slowlog_entries"];  // chart names; "a+b": metrics drawn together
  const end = await settledWindow(get, required.flatMap((name) => name.split("+")));
  await open(`database?range=15m&end=${end}`, "database-history", { waitFor: '[data-testid="db-charts"] .uplot' });
  check(await page.locator('[data-testid="range-picker"] a.active').textContent() === "15m", "the range control marks 15m");
  await checkHistoryCharts({ page, check, get }, '[data-testid="db-charts"]', required);
});
