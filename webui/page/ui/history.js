// History charts of the head's stored series (GET api/v1/metrics/history, docs/history.md) for
// the pages that chart them over a chosen range (Scheduler, Database): the range links, the
// query window, and one chart of the busiest series of a metric. Each chart's element carries
// what it drew (data-series: label, points, sum of values) so tests compare it with the API.
import * as api from "./api.js";
import { joinSeries, timeSeries } from "./charts.js";
import { el } from "./dom.js";
import { formatTime, zoneName } from "./format.js";

export const RANGES = [["15m", 900], ["1h", 3600], ["6h", 21600], ["24h", 86400], ["7d", 604800]];
const TOP = 6;  // series per chart

// The range of the page's ?range= (default 1h) ending at ?end= (epoch seconds; default now),
// its links (#/<route>?range=..., ending now) and the charts' section title.
export function pickRange(ctx, route) {
  const asked = ctx.params.get("range") || "1h";
  const [range, seconds] = RANGES.find(([r]) => r === asked) || RANGES[1];
  const picker = el("div", { class: "ranges", "data-testid": "range-picker" }, RANGES.map(([label]) =>
    el("a", { href: `#/${route}?range=${label}`, class: label === range ? "active" : null, text: label })));
  const endParam = Number(ctx.params.get("end"));
  const fixedEnd = Number.isInteger(endParam) && endParam > 0;
  const end = fixedEnd ? endParam : Math.floor(Date.now() / 1000);
  const title = `${fixedEnd ? `${range} up to ${formatTime(end * 1000)}` : `Last ${range}`} (times in ${zoneName()})`;
  return { range, picker, title, window: { start: end - seconds, end, step: `${Math.max(1, Math.round(seconds / 300))}s` } };
}

// historyChart(target, {metric, by, title, format, window, keep, label, series}): the busiest
// TOP series of `metric` (those `keep` accepts) as one chart, labelled by the label `by` (or
// `label(s)`); `series` lists metrics drawn together instead (e.g. used against maximum).
// Resolves false when there is nothing to draw.
export async function historyChart(target, { metric, metrics, by, title, format, window, keep = () => true, label, height = 200 }) {
  const names = metrics || [metric];
  const history = await api.get("metrics/history", { metric: names.length === 1 ? names[0] : commonPrefix(names), ...window });
  const list = (history.series || []).filter((s) => names.includes(s.metric) && keep(s) && s.points.length);
  if (!list.length) return false;
  const weight = (s) => s.points.reduce((sum, p) => sum + (p[1] || 0), 0);
  const top = metrics ? list.sort((a, b) => names.indexOf(a.metric) - names.indexOf(b.metric)).slice(0, TOP)
    : list.sort((a, b) => weight(b) - weight(a)).slice(0, TOP);
  const [xs, ...values] = joinSeries(top.map((s) => ({ xs: s.points.map((p) => p[0]), values: s.points.map((p) => p[1]) })));
  const labelOf = label || ((s) => (by ? s.labels[by] : s.metric));
  const drawn = top.map((s) => ({ metric: s.metric, labels: s.labels, points: s.points.length, sum: weight(s) }));
  const box = el("div", { class: "chart", "data-testid": `chart-${metric || names.join("+")}`,
    dataset: { series: JSON.stringify(drawn), start: window.start, end: window.end, step: window.step } });
  target.append(box);
  timeSeries(box, { title, xs, series: top.map((s, i) => ({ label: labelOf(s), values: values[i] })), format, height });
  return true;
}

function commonPrefix(names) {
  let prefix = names[0];
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}
