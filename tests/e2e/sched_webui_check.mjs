// The dashboard's Scheduler page in Debian's chromium (webui/tests/page_check.mjs) against a real
// hpcmond: the REQUEST_SUBMIT_BATCH_JOB row shows the count the API gives, the user table lists
// the submitting user, a history chart is drawn, no console error.
//
// node sched_webui_check.mjs EXPECT.json OUT_DIR
// EXPECT.json: {base, npm_dir, chromium, submit_count, user}
import { runPageCheck } from "../../webui/tests/page_check.mjs";

await runPageCheck(process.argv.slice(2), async ({ want, page, check, open }) => {
  await open("scheduler?range=15m", "scheduler");
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
}, { viewport: { width: 1280, height: 900 } });
