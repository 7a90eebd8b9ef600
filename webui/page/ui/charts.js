// Charts through uPlot (installed from npm at build time, ui/vendor/). Helpers only shape
// data and options; uPlot draws.
import uPlot from "./vendor/uPlot.esm.js";
import { utcMode } from "./format.js";

const palette = ["#2b6cb0", "#c05621", "#2f855a", "#b83280", "#6b46c1", "#b7791f", "#2c7a7b", "#c53030",
  "#4a5568", "#319795", "#d69e2e", "#805ad5"];
export const color = (i) => palette[i % palette.length];

function width(container) { return Math.max(320, Math.min(container.clientWidth || 900, 1200)); }

// Keep charts sized with their panel.
const live = new Set();
window.addEventListener("resize", () => {
  for (const { plot, container } of live) plot.setSize({ width: width(container), height: plot.height });
});
export function disposeCharts() {
  for (const { plot } of live) plot.destroy();
  live.clear();
}

// timeSeries(container, {title, xs (epoch seconds), series: [{label, values, color}], format,
// range: [min, max] of the y axis (else uPlot fits the data)}). The y axis's labels are kept in
// the container's data-y-ticks (the axis is drawn on a canvas), the point count in data-points.
export function timeSeries(container, { title, xs, series, format, range, height = 220 }) {
  container.dataset.points = String(xs.length);
  const opts = {
    title, width: width(container), height,
    tzDate: (ts) => utcMode() ? uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC") : new Date(ts * 1e3),
    scales: { x: { time: true }, ...(range ? { y: { range: () => range } } : {}) },
    series: [{}, ...series.map((s, i) => ({
      label: s.label, stroke: s.color || color(i), width: 1.5, spanGaps: false,
      value: (u, v) => v === null || v === undefined ? "—" : format ? format(v) : v.toFixed(2),
    }))],
    axes: [{}, { values: (u, ticks) => {
      const labels = ticks.map((v) => format ? format(v) : v);
      container.dataset.yTicks = labels.join("|");
      return labels;
    }, size: 80 }],
    legend: { live: true },
  };
  const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)], container);
  live.add({ plot, container });
  return plot;
}

// Several series with their own time stamps, aligned on the union of times (gaps as null).
export function joinSeries(list) {
  return uPlot.join(list.map((s) => [s.xs, s.values]));
}

// bars(container, {title, labels, values, format}): one bar per category.
export function bars(container, { title, labels, values, format, height = 220 }) {
  const xs = labels.map((_, i) => i);
  const opts = {
    title, width: width(container), height,
    scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
    series: [{ value: (u, v) => v === null || v === undefined ? "" : labels[v] ?? "" },
      { label: "calls", fill: "#2b6cb088", stroke: "#2b6cb0", paths: uPlot.paths.bars({ size: [0.8, 64] }),
        points: { show: false }, value: (u, v) => v === null || v === undefined ? "—" : format ? format(v) : v }],
    axes: [{ values: (u, ticks) => ticks.map((t) => Number.isInteger(t) ? labels[t] ?? "" : ""), rotate: -40, size: 60,
      splits: () => xs }, { size: 70 }],
  };
  const plot = new uPlot(opts, [xs, values], container);
  live.add({ plot, container });
  return plot;
}
