// The Database page's history over 15 minutes against the API (page_check.mjs: headless
// chromium): the range control marks 15m, the charts named in history_charts are drawn, and
// every chart drew exactly the series and points GET api/v1/metrics/history gives for its
// window; the connections card shows the API's connections against the maximum; no console error.
//
// node database_history_check.mjs EXPECT.json OUT_DIR
// EXPECT.json: {base, npm_dir, chromium, history_charts: ["db.connections_used+db.max_connections", ...]}
import { runPageCheck } from "./page_check.mjs";
import { checkHistoryCharts, settledWindow } from "./history_charts.mjs";

await runPageCheck(process.argv.slice(2), async ({ want, page, check, open, get }) => {
  const required = want.history_charts;  // chart names; "a+b": metrics drawn together
  const end = await settledWindow(get, required.flatMap((name) => name.split("+")));
  await open(`database?range=15m&end=${end}`, "database-history", { waitFor: '[data-testid="db-charts"] .uplot' });
  check(await page.locator('#nav a[data-page="database"].active').count() === 1, "the navigation marks Database");
  check(await page.locator('[data-testid="range-picker"] a.active').textContent() === "15m", "the range control marks 15m");
  await checkHistoryCharts({ page, check, get }, '[data-testid="db-charts"]', required);
  const connections = await get("db/connections");
  const card = (await page.locator('[data-testid="db-card-connections"] .card-value').textContent()).trim();
  check(/^\d[\d,]* \/ \d[\d,]*$/.test(card) && card.endsWith(`/ ${connections.max_connections.toLocaleString("en-US")}`),
    "the connections card shows the API's maximum", `page ${card}, API max ${connections.max_connections}`);
});
