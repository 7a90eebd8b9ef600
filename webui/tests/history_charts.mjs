// The history charts of a page (ui/history.js) against the API: each chart element says what
// it drew (data-series: metric, labels, point count and sum of values; data-start/end/step: its
// window); the same GET api/v1/metrics/history must give exactly those series and points.
//
// await checkHistoryCharts({page, check, get}, "[data-testid=db-charts]", ["db.fingerprint_p95_s"])
export async function checkHistoryCharts({ page, check, get }, container, required) {
  const charts = await page.locator(`${container} [data-series]`).evaluateAll((boxes) => boxes.map((b) => ({
    id: b.dataset.testid, start: b.dataset.start, end: b.dataset.end, step: b.dataset.step,
    series: JSON.parse(b.dataset.series), drawn: b.querySelectorAll(".uplot canvas").length > 0,
  })));
  const ids = charts.map((c) => c.id.replace(/^chart-/, ""));
  for (const name of required) check(ids.includes(name), `the ${name} chart is drawn`, `charts: ${ids.join(", ")}`);
  for (const chart of charts) {
    check(chart.drawn, `${chart.id} has a plot`);
    for (const s of chart.series) {
      const data = await get(`metrics/history?${new URLSearchParams({ metric: s.metric, start: chart.start, end: chart.end, step: chart.step })}`);
      const same = data.series.filter((a) => a.metric === s.metric && JSON.stringify(a.labels) === JSON.stringify(s.labels));
      check(same.length === 1, `${chart.id}: the API has the series ${s.metric}${JSON.stringify(s.labels)}`);
      const points = same[0].points;
      const sum = points.reduce((t, p) => t + (p[1] || 0), 0);
      check(points.length === s.points && Math.abs(sum - s.sum) <= 1e-9 * Math.max(1, Math.abs(sum)),
        `${chart.id}: ${s.metric}${JSON.stringify(s.labels)} drew the API's ${points.length} points`, `page ${s.points} points sum ${s.sum}, API ${points.length} sum ${sum}`);
    }
  }
}

// A window ending `lag_s` seconds ago, once the API has a point of each metric in it (polled up
// to 20 s): the page opened on it (?range=15m&end=) and the API then answer the same, because
// every reading stamped before the end has been stored.
export async function settledWindow(get, metrics, { seconds = 900, lag_s = 2 } = {}) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const end = Math.floor(Date.now() / 1000) - lag_s;
    const missing = [];
    for (const metric of metrics) {
      const data = await get(`metrics/history?${new URLSearchParams({ metric, start: end - seconds, end })}`);
      if (!data.series.some((s) => s.metric === metric && s.points.length)) missing.push(metric);
    }
    if (!missing.length) return end;
    if (Date.now() > deadline) throw new Error(`no point of ${missing.join(", ")} in history before ${end}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
