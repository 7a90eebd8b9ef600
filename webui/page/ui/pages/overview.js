// Overview: cluster health at a glance, refreshed at the daemon's sampling interval.
import * as api from "../api.js";
import { timeSeries } from "../charts.js";
import { card, clear, el, noData, section } from "../dom.js";
import { formatBytes, formatPercent, formatRate, formatTime } from "../format.js";

// Head metrics: names from papi_sampler's node sources (docs/api.md, /api/v1/metrics).
export function headFigures(metrics) {
  const value = (name) => (metrics[name] ? metrics[name].value : null);
  const sum = (re) => {
    let total = null;
    for (const [name, m] of Object.entries(metrics)) if (re.test(name)) total = (total ?? 0) + m.value;
    return total;
  };
  const cpu = value("cpu.total.busy_percent") ?? value("cpu.cpu.busy_percent");
  const filesystems = Object.entries(metrics)
    .filter(([name]) => name.startsWith("fs.") && name.endsWith(".used_fraction"))
    .map(([name, m]) => ({ mount: name.slice(3, -".used_fraction".length), used: m.value }));
  return {
    cpu: cpu === null ? null : cpu / 100,
    memUsed: value("mem.used_bytes"), memTotal: value("mem.total_bytes"),
    load1: value("load.1m"),
    rx: sum(/^net\.(?!lo\.).*\.rx_bytes_per_s$/), tx: sum(/^net\.(?!lo\.).*\.tx_bytes_per_s$/),
    diskRead: sum(/^disk\..*\.read_bytes_per_s$/), diskWrite: sum(/^disk\..*\.written_bytes_per_s$/),
    filesystems,
  };
}

function stateCounts(nodes) {
  const counts = {};
  for (const node of nodes) {
    const base = String(node.state || "UNKNOWN").split("+")[0];
    counts[base] = (counts[base] || 0) + 1;
  }
  return counts;
}

async function load() {
  const settle = (p) => p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, e }));
  const slurm = (await api.health()).slurm;
  const noSlurm = Promise.resolve({ ok: false, e: new api.ApiError(503, "unavailable", "Slurm not reachable") });
  const [metrics, nodes, hpc, alerts] = await Promise.all([
    settle(api.get("metrics")), slurm ? settle(api.get("nodes")) : noSlurm, settle(api.get("metrics/hpc")), settle(api.get("alerts")),
  ]);
  for (const r of [metrics, nodes, hpc, alerts]) if (!r.ok && r.e.status === 401) throw r.e;
  return { metrics, nodes, hpc, alerts };
}

function render(target, { metrics, nodes, hpc, alerts }) {
  clear(target);
  const cards = el("div", { class: "cards" });
  if (nodes.ok) {
    const counts = stateCounts(nodes.v.nodes);
    const detail = Object.entries(counts).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
    cards.append(card("Nodes", String(nodes.v.nodes.length), detail, { "data-testid": "card-nodes" }));
  } else {
    cards.append(card("Nodes", "—", "Slurm not reachable", { "data-testid": "card-nodes" }));
  }
  const slurm = hpc.ok ? hpc.v.slurm : null;
  cards.append(card("Running jobs", slurm ? String(slurm.jobs_running) : "—", null, { "data-testid": "card-running" }));
  cards.append(card("Pending jobs", slurm ? String(slurm.jobs_pending) : "—", null, { "data-testid": "card-pending" }));
  const list = alerts.ok && Array.isArray(alerts.v.alerts) ? alerts.v.alerts : [];
  const firing = list.filter((a) => a.state === "firing").length;
  cards.append(card("Firing alerts", String(firing), `${list.length} active in all`,
    { "data-testid": "card-alerts", class: firing ? "card alarm" : "card" }));
  target.append(section("Cluster", cards));

  const head = el("div", { class: "cards" });
  if (metrics.ok) {
    const f = headFigures(metrics.v.metrics);
    head.append(card("CPU", formatPercent(f.cpu), f.load1 === null ? null : `load ${f.load1.toFixed(2)}`, { "data-testid": "card-cpu" }));
    head.append(card("Memory", f.memTotal ? formatPercent(f.memUsed / f.memTotal) : "—",
      `${formatBytes(f.memUsed)} of ${formatBytes(f.memTotal)}`, { "data-testid": "card-memory" }));
    const fullest = f.filesystems.sort((a, b) => b.used - a.used)[0];
    head.append(card("Disk", fullest ? formatPercent(fullest.used) : "—",
      fullest ? `${fullest.mount} fullest; read ${formatRate(f.diskRead)}, write ${formatRate(f.diskWrite)}` : null,
      { "data-testid": "card-disk" }));
    head.append(card("Network", formatRate((f.rx ?? 0) + (f.tx ?? 0)), `in ${formatRate(f.rx)}, out ${formatRate(f.tx)}`,
      { "data-testid": "card-network" }));
    target.append(section(`Head node ${metrics.v.node} (sample ${formatTime(metrics.v.timestamp)})`, head));
  } else {
    target.append(section("Head node", noData("No sample of the head node yet")));
  }
}

async function headChart(target) {
  const history = await api.get("metrics/history", { metric: "cpu.total.busy_percent", step: "30s" });
  clear(target);
  const samples = history.samples.filter((s) => s.values["cpu.total.busy_percent"] !== undefined);
  if (samples.length < 2) { target.append(noData("Not enough head CPU history yet")); return; }
  timeSeries(target, {
    title: "Head CPU, last hour", xs: samples.map((s) => Date.parse(s.timestamp) / 1000),
    series: [{ label: "busy %", values: samples.map((s) => s.values["cpu.total.busy_percent"]) }],
    format: (v) => `${v.toFixed(0)} %`, height: 180,
  });
}

export async function overviewPage(ctx) {
  const body = el("div", { "data-testid": "overview" });
  const chart = el("div", { class: "chart" });
  ctx.main.append(el("h1", { text: "Overview" }), body, section("History", chart));
  const first = await load();
  render(body, first);
  await headChart(chart).catch(() => { clear(chart).append(noData("No head history")); });
  const interval = first.metrics.ok ? first.metrics.v.interval_s : 5;
  ctx.every(interval, async () => render(body, await load()));
}
