// Nodes: Slurm's nodes with the agents' latest readings; one node's series over a chosen range
// (15 minutes to 30 days) from the daemon's history.
import * as api from "../api.js";
import { timeSeries } from "../charts.js";
import { clear, el, link, noData, section, table } from "../dom.js";
import { formatBytes, formatPercent, formatRate, formatTime, zoneName } from "../format.js";

export const RANGES = [["15m", 900], ["1h", 3600], ["6h", 21600], ["24h", 86400], ["7d", 604800], ["30d", 2592000]];

// Metrics worth a chart, in order, by the names the head's and the agents' samplers use. CPU
// busy keeps its whole 0–100 % axis: fitted to a steady busy node, every label read "100 %".
const CHARTS = [
  { title: "CPU busy", names: ["cpu_util", "node.cpu_util", "cpu.total.busy_percent"], format: (v, n) => n === "cpu.total.busy_percent" ? `${v.toFixed(0)} %` : formatPercent(v, 0),
    range: (n) => n === "cpu.total.busy_percent" ? [0, 100] : [0, 1] },
  { title: "Memory used", names: ["mem_used_bytes", "node.mem_used_bytes", "mem.used_bytes"], format: (v) => formatBytes(v) },
  { title: "Load (1 min)", names: ["load1", "node.load1", "load.1m"], format: (v) => v.toFixed(2) },
  { title: "Network in", names: ["net_rx_bytes_per_s", "node.net_rx_bytes_per_s"], format: (v) => formatRate(v) },
  { title: "Network out", names: ["net_tx_bytes_per_s", "node.net_tx_bytes_per_s"], format: (v) => formatRate(v) },
  { title: "Disk write", names: ["disk_write_bytes_per_s", "node.disk_write_bytes_per_s"], format: (v) => formatRate(v) },
];

export async function nodesPage(ctx) {
  const target = el("div", { "data-testid": "nodes" });
  ctx.main.append(el("h1", { text: "Nodes" }), target);
  if (!(await api.health()).slurm) { target.append(noData("Slurm is not reachable from this daemon: no node list")); return; }
  const draw = async () => {
    const [nodes, agents] = await Promise.all([api.get("nodes"), api.get("agents").catch(() => ({ agents: {} }))]);
    clear(target);
    const rows = nodes.nodes.map((node) => {
      const reading = (agents.agents[node.name] || {}).reading || {};
      return el("tr", { "data-testid": "node-row", dataset: { node: node.name } },
        el("td", {}, link("nodes", [node.name], node.name)),
        el("td", { text: node.state }),
        el("td", { class: "num", text: node.cpus }),
        el("td", { class: "num", text: formatBytes(node.real_memory_mb * 1048576) }),
        el("td", { text: node.partitions }),
        el("td", { class: "num", text: reading.cpu_util === undefined ? "—" : formatPercent(reading.cpu_util) }),
        el("td", { class: "num", text: reading.mem_used_bytes === undefined ? "—" : formatBytes(reading.mem_used_bytes) }),
        el("td", { text: node.reason || "" }));
    });
    target.append(el("p", { class: "muted", "data-testid": "node-count", text: `${nodes.nodes.length} nodes in cluster ${nodes.cluster}` }),
      table(["Node", "State", { text: "CPUs", num: true }, { text: "Memory", num: true }, "Partitions",
        { text: "CPU (agent)", num: true }, { text: "Memory used (agent)", num: true }, "Reason"], rows));
    const parts = nodes.partitions.map((p) => [p.name, p.nodes, { value: p.total_nodes, num: true },
      { value: p.total_cpus, num: true }, p.state_up ? "up" : "down"]);
    target.append(section("Partitions", table(["Partition", "Nodes", { text: "Nodes", num: true }, { text: "CPUs", num: true }, "State"], parts)));
  };
  await draw();
  ctx.every(10, draw);
}

// metric -> {xs (epoch seconds), values}: from the durable history's series (points
// [t, avg, min, max, count]; the node's own series, not per device or per job), else from the
// in-memory form's samples.
export function seriesByMetric(history) {
  const out = new Map();
  for (const s of Array.isArray(history.series) ? history.series : []) {
    const labels = s.labels || {};
    if (labels.device || labels.job || labels.step || !Array.isArray(s.points) || !s.points.length) continue;
    out.set(s.metric, { xs: s.points.map((p) => p[0]), values: s.points.map((p) => p[1]) });
  }
  if (!out.size && Array.isArray(history.samples) && history.samples.length) {
    const xs = history.samples.map((s) => Date.parse(s.timestamp) / 1000);
    for (const metric of new Set(history.samples.flatMap((s) => Object.keys(s.values))))
      out.set(metric, { xs, values: history.samples.map((s) => s.values[metric] ?? null) });
  }
  return out;
}

export async function nodePage(ctx, name) {
  const range = ctx.params.get("range") || "1h";
  const seconds = (RANGES.find(([r]) => r === range) || RANGES[1])[1];
  const picker = el("div", { class: "ranges", "data-testid": "range-picker" }, RANGES.map(([label]) =>
    el("a", { href: `#/nodes/${encodeURIComponent(name)}?range=${label}`, class: label === range ? "active" : null, text: label })));
  const live = el("div", { class: "cards" });
  const charts = el("div", { "data-testid": "node-charts" });
  ctx.main.append(el("h1", {}, "Node ", el("span", { "data-testid": "node-name", text: name })), picker,
    section("Now", live), section(`Last ${range} (times in ${zoneName()})`, charts));

  const agents = await api.get("agents").catch(() => ({ agents: {} }));
  const reading = (agents.agents[name] || {}).reading;
  if (reading) {
    live.append(el("p", { class: "muted", text: `agent reading at ${formatTime(reading.t_ns / 1e6)}: CPU ${formatPercent(reading.cpu_util)}, memory ${formatBytes(reading.mem_used_bytes)} of ${formatBytes(reading.mem_total_bytes)}, load ${reading.load1 ?? "—"}` }));
  } else {
    live.append(noData("No agent reading from this node"));
  }

  const end = Date.now() / 1000;
  const step = Math.max(1, Math.round(seconds / 400));
  let history = null;
  try {
    history = await api.get("metrics/history", { node: name, start: (end - seconds).toFixed(0), end: end.toFixed(0), step: `${step}s` });
  } catch (error) {
    if (error.status === 401) throw error;
  }
  const byMetric = history && (!history.node || history.node === name) ? seriesByMetric(history) : new Map();
  if (!byMetric.size) {
    charts.append(noData(`No history of ${name} in this range`));
    return;
  }
  let drawn = 0;
  for (const chart of CHARTS) {
    const metric = chart.names.find((n) => byMetric.has(n));
    if (!metric) continue;
    const { xs, values } = byMetric.get(metric);
    const box = el("div", { class: "chart", "data-testid": "node-chart", dataset: { metric } });
    charts.append(box);
    timeSeries(box, { title: chart.title, xs, series: [{ label: metric, values }], format: (v) => chart.format(v, metric),
      range: chart.range && chart.range(metric), height: 180 });
    drawn++;
  }
  if (!drawn) charts.append(noData(`No chartable metric in the history of ${name}`));
}
