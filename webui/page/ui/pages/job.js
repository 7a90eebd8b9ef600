// One job from its records (GET api/v1/jobs/{id}/record): allocation and efficiency, time in
// MPI against compute per rank (sorted so imbalance shows), top MPI functions, message sizes,
// rank-to-rank traffic, counters, memory per rank over time, warnings and findings. A running
// job also follows the agents' live pushes (api/v1/agents) and its live findings.
import * as api from "../api.js";
import { bars, joinSeries, timeSeries } from "../charts.js";
import { card, el, fragment, noData, section, table } from "../dom.js";
import { formatBytes, formatCount, formatPercent, formatSeconds, formatTime, sizeBinLabel, zoneName } from "../format.js";
import { notTraced, tracePanel } from "./trace.js";

const ACTIVE = new Set(["running", "pending", "completing", "suspended"]);

function facts(rows) {
  return el("dl", { class: "facts" }, rows.filter(Boolean).map(([k, v, id]) =>
    [el("dt", { text: k }), el("dd", { "data-testid": id || null }, v instanceof Node ? v : String(v ?? "—"))]));
}

// Each card keeps the record's figure it shows in data-value (the page's checks compare it).
function efficiency(record) {
  const s = record.summary, a = record.job.allocation;
  const value = (id, v) => ({ "data-testid": id, dataset: { value: v ?? "" } });
  return el("div", { class: "cards", "data-testid": "efficiency" },
    card("Ranks", String(s.ranks), `${record.job.node_count || record.nodes.length || "?"} node(s): ${record.job.node_list || "—"}`, value("eff-ranks", s.ranks)),
    card("Wall time", formatSeconds(s.wall_s), a.time_limit_s ? `limit ${formatSeconds(a.time_limit_s)}` : "no time limit known", value("eff-wall", s.wall_s)),
    card("Time in MPI", formatPercent(s.mpi_fraction), "of all ranks' wall time", value("mpi-fraction", s.mpi_fraction)),
    card("CPU efficiency", s.cpu_efficiency ? formatPercent(s.cpu_efficiency) : "—",
      `${formatSeconds(s.cpu_used_s)} used of ${s.cpu_available_s ? formatSeconds(s.cpu_available_s) : "?"} (${a.cores || "?"} cores)`, value("eff-cpu", s.cpu_efficiency)),
    card("Memory", formatBytes(s.mem_hwm_bytes), s.mem_requested_bytes
      ? `${formatPercent(s.mem_efficiency)} of ${formatBytes(s.mem_requested_bytes)} requested` : "sum of ranks' peaks; no request known", value("eff-memory", s.mem_hwm_bytes)));
}

// Per rank: MPI and compute share of wall time, largest MPI share first.
function rankTable(record) {
  const ranks = [...record.ranks].sort((a, b) => b.mpi_fraction - a.mpi_fraction || a.rank - b.rank);
  const rows = ranks.map((r) => el("tr", { "data-testid": "rank-row", dataset: { rank: r.rank } },
    el("td", { class: "num", text: r.rank }),
    el("td", { text: r.node }),
    el("td", { class: "num", text: formatSeconds(r.wall_s) }),
    el("td", { class: "num", text: formatSeconds(r.mpi_s) }),
    el("td", { class: "num", text: formatSeconds(Math.max(0, r.wall_s - r.mpi_s)) }),
    el("td", { class: "num", "data-testid": "rank-mpi-pct", dataset: { fraction: r.mpi_fraction }, text: formatPercent(r.mpi_fraction) }),
    el("td", { class: "meter-cell" }, el("div", { class: "meter", title: `MPI ${formatPercent(r.mpi_fraction)}` },
      el("span", { class: "meter-mpi", style: { width: `${Math.min(100, r.mpi_fraction * 100)}%` } }))),
    el("td", { class: "num", text: formatBytes(r.rss_hwm_bytes) })));
  const note = record.ranks_total > record.ranks.length ? el("p", { class: "muted", text: `first ${record.ranks.length} of ${record.ranks_total} ranks` }) : null;
  return fragment(note, table([{ text: "Rank", num: true }, "Node", { text: "Wall", num: true }, { text: "MPI", num: true },
    { text: "Compute", num: true }, { text: "% in MPI", num: true }, "MPI share (blue) of wall time", { text: "RSS peak", num: true }],
  rows, { "data-testid": "rank-table" }));
}

function functionTable(record) {
  const fns = record.summary.functions.slice(0, 10);
  if (!fns.length) return noData("No MPI calls recorded");
  return table(["Function", { text: "Calls", num: true }, { text: "Bytes", num: true }, { text: "Time", num: true },
    { text: "% of MPI", num: true }, { text: "Slowest rank", num: true }],
  fns.map((f) => el("tr", { "data-testid": "function-row", dataset: { function: f.function } },
    el("td", { "data-testid": "function-name", text: f.function }),
    el("td", { class: "num", text: formatCount(f.calls) }),
    el("td", { class: "num", text: formatBytes(f.bytes) }),
    el("td", { class: "num", text: formatSeconds(f.total_s) }),
    el("td", { class: "num", text: formatPercent(f.fraction_of_mpi) }),
    el("td", { class: "num", text: formatSeconds(f.max_rank_s) }))), { "data-testid": "function-table" });
}

function histogram(record) {
  const h = record.size_histogram;
  let last = h.total.length - 1;
  while (last > 0 && !h.total[last]) last--;
  if (!h.total.some((n) => n > 0)) return noData("No message sizes recorded");
  const box = el("div", { class: "chart", "data-testid": "size-histogram" });
  const labels = h.total.slice(0, last + 1).map((_, k) => sizeBinLabel(h.bin_lower_bytes, k));
  queueMicrotask(() => bars(box, { title: "Calls by message size (all functions, all ranks)", labels,
    values: h.total.slice(0, last + 1), format: formatCount }));
  return box;
}

// Bytes sent from rank (row) to rank (column), colour by log scale.
function heatmap(record) {
  const t = record.traffic;
  if (!t.dense) {
    if (!t.rows.length) return noData("No point-to-point traffic recorded");
    return table([{ text: "From", num: true }, { text: "To", num: true }, { text: "World", num: true }, { text: "Messages", num: true }, { text: "Bytes", num: true }],
      t.rows.slice(0, 50).map((r) => [{ value: r.src, num: true }, { value: r.dst, num: true }, { value: r.dst_world, num: true },
        { value: formatCount(r.messages), num: true }, { value: formatBytes(r.bytes), num: true }]));
  }
  const n = t.world_ranks, bytes = t.dense.bytes, msgs = t.dense.messages;
  const max = Math.max(1, ...bytes.flat());
  if (!bytes.flat().some((b) => b > 0)) return noData("No point-to-point traffic recorded");
  const small = n <= 16;
  const head = el("tr", {}, el("th", { text: "from \\ to" }), Array.from({ length: n }, (_, d) => el("th", { class: "num", text: d })));
  const rows = bytes.map((row, s) => el("tr", {}, el("th", { class: "num", text: s }), row.map((b, d) => {
    const level = b > 0 ? Math.log1p(b) / Math.log1p(max) : 0;
    return el("td", {
      class: "heat", "data-testid": "heatmap-cell", dataset: { src: s, dst: d, bytes: b, messages: msgs[s][d] },
      title: `rank ${s} → rank ${d}: ${formatBytes(b)} in ${formatCount(msgs[s][d])} messages`,
      style: { background: b > 0 ? `rgba(43,108,176,${(0.12 + 0.88 * level).toFixed(3)})` : "transparent", color: level > 0.55 ? "#fff" : "inherit" },
    }, small && b > 0 ? formatBytes(b, 0) : "");
  })));
  return el("div", { class: "heatmap-box" }, el("table", { class: "heatmap", "data-testid": "heatmap" }, el("thead", {}, head), el("tbody", {}, rows)),
    el("p", { class: "muted", text: `Bytes sent, ${n} ranks; darker is more (log scale). Hover a cell for exact figures.` }));
}

function counters(record) {
  const j = record.job;
  const source = el("p", { class: "muted", text: `counter source ${j.counter_source || "none"} (${j.counter_quality || "unknown"})${j.counter_note ? ": " + j.counter_note : ""}` });
  const byName = new Map(record.summary.metrics.map((m) => [m.name, m]));
  const names = record.counter_names.length ? record.counter_names : [];
  const rows = names.map((name) => {
    const m = byName.get(name) || {};
    return [name, { value: m.min?.toLocaleString("en-US") ?? "—", num: true }, { value: m.mean?.toLocaleString("en-US", { maximumFractionDigits: 1 }) ?? "—", num: true },
      { value: m.max?.toLocaleString("en-US") ?? "—", num: true }, { value: m.imbalance?.toFixed(2) ?? "—", num: true }, m.unit || ""];
  });
  return fragment(source, rows.length ? table(["Counter", { text: "Min", num: true }, { text: "Mean", num: true }, { text: "Max", num: true }, { text: "Max/mean", num: true }, "Unit"], rows, { "data-testid": "counter-table" })
    : noData("No counters in this record"));
}

function seriesCharts(record) {
  const out = [];
  // Ranks' own series, or the agent's per-task ones (a Slurm task is a rank).
  const rankMemory = record.series.filter((s) => (s.owner_kind === "rank" || s.owner_kind === "task") && s.metric === "rss");
  if (rankMemory.length) {
    const box = el("div", { class: "chart", "data-testid": "memory-chart" });
    const shown = rankMemory.slice(0, 32);
    const data = joinSeries(shown.map((s) => ({ xs: s.t_ms.map((t) => t / 1000), values: s.values })));
    queueMicrotask(() => timeSeries(box, { title: `Memory per rank (${shown[0].metric}, times in ${zoneName()})`, xs: data[0],
      series: shown.map((s, i) => ({ label: `${s.owner_kind} ${s.owner}`, values: data[i + 1] })), format: (v) => formatBytes(v) }));
    out.push(box);
  } else {
    out.push(noData("No per-rank memory series in this record"));
  }
  const byMetric = new Map();
  for (const s of record.series.filter((s) => s.owner_kind === "node")) {
    if (!byMetric.has(s.metric)) byMetric.set(s.metric, []);
    byMetric.get(s.metric).push(s);
  }
  const preferred = ["cpu_util", "mem_used", "step_rss", "step_cpu_time", "load1", "net_rx", "net_tx", "disk_write"];
  const rank = (metric) => (preferred.indexOf(metric) + 1 || preferred.length + 1);
  const chosen = [...byMetric].sort((a, b) => rank(a[0]) - rank(b[0])).slice(0, 6);
  for (const [metric, list] of chosen) {
    const box = el("div", { class: "chart" });
    const data = joinSeries(list.map((s) => ({ xs: s.t_ms.map((t) => t / 1000), values: s.values })));
    const unit = list[0].unit;
    const format = unit === "B" ? (v) => formatBytes(v) : unit === "B/s" ? (v) => formatBytes(v) + "/s" : unit === "1" && /util/.test(metric) ? (v) => formatPercent(v, 0) : (v) => v.toFixed(2);
    queueMicrotask(() => timeSeries(box, { title: `Node ${metric}`, xs: data[0], series: list.map((s, i) => ({ label: s.owner, values: data[i + 1] })), format, height: 180 }));
    out.push(box);
  }
  return fragment(out);
}

function findingsList(step) {
  // Findings of the diagnosis (docs/diagnosis.md): beside the summary, in the record's answer,
  // or on the step, whichever the daemon gives.
  const diagnosis = (step.summary && step.summary.diagnosis) || (step.record && step.record.diagnosis) || step.diagnosis || null;
  const list = (diagnosis && diagnosis.findings) || (step.summary && step.summary.findings) || (step.record && step.record.findings) || null;
  if (!Array.isArray(list)) return null;
  if (!list.length) return section("Diagnosis", noData("No findings"));
  return section("Diagnosis", el("ul", { class: "findings", "data-testid": "findings" }, list.map(findingItem)));
}

function findingItem(f) {
  return typeof f === "string" ? el("li", { text: f }) : el("li", { class: `finding ${f.severity || ""}`, dataset: { rule: f.rule || "" } },
    el("strong", { text: f.title || f.name || f.rule || f.id || "finding" }), " ",
    el("span", { class: "muted", text: [f.severity, f.rule].filter(Boolean).join(", ") }), " ",
    el("span", { text: f.message || f.detail || f.description || "" }),
    Array.isArray(f.ranks) && f.ranks.length ? el("div", { text: `ranks ${f.ranks.join(", ")}` }) : null,
    Array.isArray(f.evidence) && f.evidence.length ? el("ul", {}, f.evidence.map((line) => el("li", { text: line }))) : null,
    f.advice || f.suggestion ? el("div", { class: "muted", text: f.advice || f.suggestion }) : null);
}

// Findings of the running steps, evaluated by the head from the agents' pushes
// (live_diagnosis in GET api/v1/jobs/{id}; docs/diagnosis.md, "Live findings").
function liveFindings(box, live) {
  if (!live || !Array.isArray(live.steps)) { box.replaceChildren(); return; }
  const items = [];
  for (const step of live.steps)
    for (const f of step.findings || []) items.push(findingItem({ ...f, title: `step ${step.step}: ${f.title || f.rule}` }));
  box.replaceChildren(el("h3", { text: `Live findings (evaluated ${formatTime(live.evaluated_ns / 1e6)})` }),
    items.length ? el("ul", { class: "findings", "data-testid": "live-findings" }, items) : noData("No finding so far"));
}

// Which summary of GET jobs/{id}/trace/summary belongs to a step of the record endpoint.
const traceKey = (s) => ({ step: s.step, restartCount: s.restart_count || 0, run: s.run || 0 });

// Fills the traced steps' slots with their trace panels (one request for the whole job).
async function fillTraces(ctx, id) {
  const slots = [...ctx.main.querySelectorAll('[data-testid="trace-slot"]')];
  if (!slots.length) return;
  let data;
  try {
    data = await api.get(`jobs/${encodeURIComponent(id)}/trace/summary`);
  } catch (error) {
    if (error.status === 401) throw error;
    for (const slot of slots) slot.replaceChildren(noData(`Trace unavailable: ${error.message}`));
    return;
  }
  for (const slot of slots) {
    const found = data.steps.find((s) => Object.entries(traceKey(s)).every(([k, v]) => String(v) === slot.dataset[k]));
    slot.replaceChildren(found ? tracePanel(found.summary) : noData("This step's trace could not be read"));
  }
}

function stepSection(step) {
  const box = el("section", { class: "panel step", "data-testid": "step", dataset: { step: step.step } });
  box.append(el("h2", { text: `Step ${step.id}` + (step.run ? ` (run ${step.run})` : "") }),
    facts([["Start", formatTime(step.start)], ["End", formatTime(step.end)], ["Exit status", step.exit_status ?? "unknown"],
      ["Merge", `${step.merge}${step.nodes_missing && step.nodes_missing.length ? ", missing " + step.nodes_missing.join(", ") : ""}`],
      step.partial ? ["Partial", step.partial_reason || "yes"] : null]));
  const record = step.record;
  if (!record) { box.append(noData(`No record content: ${step.record_error || "not available"}`)); return box; }
  if (record.job.command_line) box.append(el("p", {}, "Command: ", el("code", { "data-testid": "command-line", text: record.job.command_line })));
  box.append(el("h3", { text: "Allocation and efficiency" }), efficiency(record));
  const warnings = record.warnings || [];
  box.append(el("h3", { text: "Warnings" }), warnings.length
    ? el("ul", { class: "warnings", "data-testid": "warnings" }, warnings.map((w) => el("li", { text: w })))
    : el("p", { class: "muted", text: "None." }));
  const findings = findingsList(step);
  if (findings) box.append(findings);
  if (record.has_mpi) {
    box.append(el("h3", { text: "Time in MPI against compute, per rank" }), rankTable(record),
      el("h3", { text: "Top MPI functions" }), functionTable(record),
      el("h3", { text: "Message sizes" }), histogram(record),
      el("h3", { text: "Rank-to-rank traffic" }), heatmap(record),
      el("h3", { text: "Trace" }), step.traced ? el("div", { "data-testid": "trace-slot", dataset: traceKey(step) }, noData("Loading the trace…")) : notTraced());
  } else {
    box.append(el("p", { class: "muted", "data-testid": "no-mpi", text: "Not an MPI step: no MPI tables." }));
    if (record.ranks.length) box.append(el("h3", { text: "Processes" }), rankTable(record));
  }
  box.append(el("h3", { text: "Counters" }), counters(record), el("h3", { text: "Over time" }), seriesCharts(record));
  if (record.nodes.length)
    box.append(el("h3", { text: "Nodes" }), table(["Node", { text: "CPU mean", num: true }, { text: "CPU max", num: true }, { text: "Memory max", num: true },
      { text: "Disk write", num: true }, { text: "Net in", num: true }, { text: "Net out", num: true }],
    record.nodes.map((n) => [n.node, { value: formatPercent(n.cpu_util_mean), num: true }, { value: formatPercent(n.cpu_util_max), num: true },
      { value: formatBytes(n.mem_used_max_bytes), num: true }, { value: formatBytes(n.disk_write_bytes), num: true },
      { value: formatBytes(n.net_rx_bytes), num: true }, { value: formatBytes(n.net_tx_bytes), num: true }])));
  return box;
}

// The agents' latest reading per node and step of this job, collected while the page is open.
function liveSection(ctx, job) {
  const box = el("section", { class: "panel", "data-testid": "live" }, el("h2", { text: "Live (agents' pushes)" }));
  const now = el("div");
  const chart = el("div", { class: "chart" });
  const findings = el("div", { "data-testid": "live-diagnosis" });
  box.append(now, findings, chart);
  const history = new Map();  // "node/step" -> {xs, rss, cpu}
  let plot = null;
  const poll = async () => {
    const data = await api.get("agents");
    const rows = [];
    for (const [node, agent] of Object.entries(data.agents || {}))
      for (const step of agent.steps || [])
        if (step.job === job.job && (!step.cluster || step.cluster === job.cluster)) {
          rows.push([node, step.step, { value: formatSeconds(step.cpu_s), num: true }, { value: formatBytes(step.rss_bytes), num: true }, { value: step.processes, num: true }, formatTime(step.t_ns / 1e6)]);
          const key = `${node}/${step.step}`;
          if (!history.has(key)) history.set(key, { xs: [], rss: [] });
          const h = history.get(key);
          if (!h.xs.length || h.xs[h.xs.length - 1] < step.t_ns / 1e9) { h.xs.push(step.t_ns / 1e9); h.rss.push(step.rss_bytes); }
        }
    now.replaceChildren(rows.length ? table(["Node", "Step", { text: "CPU time", num: true }, { text: "RSS", num: true }, { text: "Processes", num: true }, "Reading"], rows, { "data-testid": "live-table" })
      : noData("No live reading from the agents for this job"));
    const list = [...history].filter(([, h]) => h.xs.length >= 2);
    if (list.length) {
      const data2 = joinSeries(list.map(([, h]) => ({ xs: h.xs, values: h.rss })));
      if (plot) plot.destroy();
      chart.replaceChildren();
      plot = timeSeries(chart, { title: "RSS per node and step, since this page opened", xs: data2[0], series: list.map(([k], i) => ({ label: k, values: data2[i + 1] })), format: (v) => formatBytes(v), height: 180 });
    }
  };
  return { box, poll, showFindings: (live) => liveFindings(findings, live) };
}

export async function jobPage(ctx, id) {
  const data = await api.get(`jobs/${encodeURIComponent(id)}/record`);
  const head = el("div", { "data-testid": "job-head" },
    el("h1", {}, "Job ", el("span", { "data-testid": "job-id", text: data.job }), " ", el("span", { class: "name", "data-testid": "job-name", text: data.name || "" })),
    facts([["User", data.user], ["State", el("span", { class: `state state-${data.state}`, text: data.state }), "job-state"], ["Partition", data.partition],
      ["Nodes", data.node_list], ["Submitted", formatTime(data.submit)], ["Start", formatTime(data.start)], ["End", formatTime(data.end)], ["Source", data.source],
      data.owner_differs_from_slurm ? ["Slurm's owner", data.owner_differs_from_slurm] : null,
      data.other_runs && data.other_runs.length ? ["Earlier jobs with this id", data.other_runs.map((r) => `${formatTime(r.start)} (${r.user})`).join("; ")] : null]));
  ctx.main.append(head);
  if (ACTIVE.has(data.state)) {
    const live = liveSection(ctx, data);
    ctx.main.append(live.box);
    await live.poll();
    live.showFindings(data.live_diagnosis);
    ctx.every(2, async () => {
      await live.poll();
      const fresh = await api.get(`jobs/${encodeURIComponent(id)}`);
      live.showFindings(fresh.live_diagnosis);
      if (!ACTIVE.has(fresh.state) || (fresh.steps || []).length !== (data.steps || []).length) window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
  }
  const steps = data.steps || [];
  if (!steps.length) ctx.main.append(noData(ACTIVE.has(data.state) ? "No step has finished yet: records appear when steps end." : "No record of this job"));
  // MPI steps first: they carry the most to look at.
  const ordered = [...steps].sort((a, b) => Number(!!(b.record && b.record.has_mpi)) - Number(!!(a.record && a.record.has_mpi)));
  for (const step of ordered) ctx.main.append(stepSection(step));
  await fillTraces(ctx, id);
}
