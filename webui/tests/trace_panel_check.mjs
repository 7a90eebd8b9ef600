// The job page's Trace panel against the API (page_check.mjs: headless chromium): the rank
// dependency map has one cell per (waiter, waited-for) pair of the API's waits, each with the
// API's time (kinds added up); the planted late sender's cell is there; each rank's wait equals
// rank_wait_ns, split by peer as the waits say; a function's histogram bars are the API's
// buckets, counts included; an untraced run says how to enable tracing; no console error.
//
// node trace_panel_check.mjs EXPECT.json OUT_DIR
// EXPECT.json: {base, npm_dir, chromium, traced_job, plain_job, waiter, peer, function}
import { runPageCheck } from "./page_check.mjs";

await runPageCheck(process.argv.slice(2), async ({ want, page, check, open, get, outDir }) => {
  const api = await get(`jobs/${encodeURIComponent(want.traced_job)}/trace/summary`);
  const summary = api.steps[0].summary;
  const pairs = new Map();
  for (const w of summary.waits) {
    const key = `${w.waiter}>${w.waited_for}`;
    pairs.set(key, (pairs.get(key) || 0) + w.wait_ns);
  }

  await open(`jobs/${encodeURIComponent(want.traced_job)}`, "job-traced", { waitFor: '[data-testid="trace"]' });
  check(await page.locator('[data-testid="trace"]').count() === 1, "the traced step has one Trace panel");
  check(await page.locator('[data-testid="trace-off"]').count() === 0, "the traced step does not say it is untraced");
  const cells = await page.locator('[data-testid="dep-cell"]').evaluateAll((list) =>
    list.map((c) => ({ key: `${c.dataset.waiter}>${c.dataset.peer}`, ns: Number(c.dataset.waitNs) })));
  check(cells.length === pairs.size, "the dependency map has one cell per waiting pair of the API", `page ${cells.length}, API ${pairs.size}`);
  for (const c of cells) check(pairs.get(c.key) === c.ns, `dependency cell ${c.key} shows the API's wait`, `page ${c.ns}, API ${pairs.get(c.key)}`);
  const planted = page.locator(`[data-testid="dep-cell"][data-waiter="${want.waiter}"][data-peer="${want.peer}"]`);
  check(await planted.count() === 1, `rank ${want.waiter} waits for rank ${want.peer} (the planted late sender)`);
  const plantedNs = Number(await planted.getAttribute("data-wait-ns"));
  check(plantedNs === pairs.get(`${want.waiter}>${want.peer}`) && plantedNs >= 270e6, "its wait is the API's and at least the planted 0.27 s", String(plantedNs));
  check((await planted.getAttribute("title")).includes("late sender"), "its cell names the late sender");

  const ranks = await page.locator('[data-testid="rank-wait"]').evaluateAll((rows) => rows.map((r) => ({
    rank: Number(r.dataset.rank), ns: Number(r.dataset.waitNs),
    peers: [...r.querySelectorAll('[data-testid="rank-wait-peer"]')].map((s) => ({ peer: Number(s.dataset.peer), ns: Number(s.dataset.waitNs) })),
  })));
  const waiting = summary.rank_wait_ns.filter((ns) => ns > 0).length;
  check(ranks.length === waiting, "one wait row per rank that waited", `page ${ranks.length}, API ${waiting}`);
  for (const r of ranks) {
    check(r.ns === summary.rank_wait_ns[r.rank], `rank ${r.rank}'s wait equals rank_wait_ns`, `page ${r.ns}, API ${summary.rank_wait_ns[r.rank]}`);
    check(r.peers.every((p) => pairs.get(`${r.rank}>${p.peer}`) === p.ns) && r.peers.length === [...pairs.keys()].filter((k) => k.startsWith(`${r.rank}>`)).length,
      `rank ${r.rank}'s wait by peer is the API's`);
  }

  const fn = summary.functions.find((f) => f.function === want.function);
  check(fn && fn.histogram_log2_ns.length > 0, `the API has a histogram of ${want.function}`);
  const bars = await page.locator(`[data-testid="trace-histogram"][data-function="${want.function}"] [data-testid="hist-bar"]`).evaluateAll((list) =>
    list.map((b) => ({ ge: Number(b.dataset.geNs), lt: Number(b.dataset.ltNs), count: Number(b.dataset.count) })));
  check(bars.length === fn.histogram_log2_ns.length, `${want.function}'s histogram has one bar per non-empty bucket`, `page ${bars.length}, API ${fn.histogram_log2_ns.length}`);
  fn.histogram_log2_ns.forEach((b, i) => check(bars[i].ge === b.ge_ns && bars[i].lt === b.lt_ns && bars[i].count === b.count,
    `${want.function} bucket [${b.ge_ns}, ${b.lt_ns}) counts the API's ${b.count} calls`, JSON.stringify(bars[i])));
  check(bars.reduce((s, b) => s + b.count, 0) === fn.calls, `${want.function}'s bars add up to its calls`);
  const drawn = await page.locator('[data-testid="trace-histogram"]').count();
  check(drawn === Math.min(8, summary.functions.length), "a histogram per traced function (up to 8)", String(drawn));
  await page.locator('[data-testid="trace"]').screenshot({ path: `${outDir}/trace-panel.png` });

  await open(`jobs/${encodeURIComponent(want.plain_job)}`, "job-untraced");
  check(await page.locator('[data-testid="trace"]').count() === 0, "an untraced run has no Trace panel");
  check((await page.locator('[data-testid="trace-off"]').textContent()).includes("HPCMON_MPI_TRACE=1"), "it says how to enable tracing");
});
