// Scheduler: slurmctld's and slurmdbd's RPC statistics as the daemon reads them (GET
// api/v1/scheduler, docs/scheduler.md): gauges, RPCs by type and by user with their rates and
// latencies over the last interval, and history charts of the busiest types and users.
import * as api from "./api.js";
import { card, el, noData, section, table } from "./dom.js";
import { formatCount, formatPercent, formatSeconds, formatTime } from "./format.js";
import { historyChart, pickRange } from "./history.js";

const rate = (v) => v === null || v === undefined ? "—" : `${v.toFixed(v < 10 ? 2 : 0)}/s`;

function rpcRows(list, key, testid) {
  return list.map((r) => el("tr", { "data-testid": testid, dataset: { name: r[key], id: String(r.id) } },
    el("td", { "data-testid": `${testid}-name`, text: r[key] }),
    el("td", { class: "num", text: String(r.id) }),
    el("td", { class: "num", "data-testid": `${testid}-count`, text: String(r.count) }),
    el("td", { class: "num", text: rate(r.rate_per_s) }),
    el("td", { class: "num", text: r.interval_latency_s === null ? "—" : formatSeconds(r.interval_latency_s) }),
    el("td", { class: "num", text: formatSeconds(r.mean_latency_s) }),
    el("td", { class: "num", text: formatPercent(r.share, 0) }),
    el("td", { class: "num", text: formatCount(r.total) })));
}

const HEADERS = (first) => [first, { text: "Id", num: true }, { text: "Count", num: true }, { text: "Rate", num: true },
  { text: "Latency (interval)", num: true }, { text: "Mean latency", num: true }, { text: "Share", num: true },
  { text: "Total since hpcmond", num: true }];

function daemonPanel(d, testid) {
  const g = d.gauges || {};
  const cards = el("div", { class: "cards" });
  if (d.daemon === "slurmctld") {
    cards.append(
      card("Server threads", String(g.server_threads ?? "—"), null, { "data-testid": "card-server-threads" }),
      card("Agent queue", String(g.agent_queue_size ?? "—"), `DBD agent queue ${g.dbd_agent_queue_size ?? "—"}`, { "data-testid": "card-agent-queue" }),
      card("Pending RPCs", String(g.pending_rpcs ?? "—")),
      card("Backfill last cycle", formatSeconds(g.backfill_last_cycle_s), `mean ${formatSeconds(g.backfill_mean_cycle_s)}, depth ${g.backfill_last_depth ?? "—"}`, { "data-testid": "card-backfill" }),
      card("Main scheduler last cycle", formatSeconds(g.schedule_last_cycle_s), `mean ${formatSeconds(g.schedule_mean_cycle_s)}`));
    const c = d.counters || {};
    const jobs = ["jobs_submitted", "jobs_started", "jobs_completed"].map((k) => c[k] ? `${k.slice(5)} ${c[k].value} (${rate(c[k].rate_per_s)})` : null).filter(Boolean).join(", ");
    if (jobs) cards.append(card("Jobs", String(c.jobs_submitted ? c.jobs_submitted.value : "—"), jobs));
  } else if (g.rollup_hour_last_s !== undefined) {
    cards.append(card("Hourly rollup", formatSeconds(g.rollup_hour_last_s), `max ${formatSeconds(g.rollup_hour_max_s)}`));
  }
  return el("div", { "data-testid": testid },
    el("p", { class: "muted", text: `read at ${formatTime(d.read_at)}, data since ${formatTime(d.since)}, interval ${d.interval_s ? d.interval_s.toFixed(1) + " s" : "— (first read)"}, ${d.resets} resets seen` }),
    cards,
    section(`RPCs by type (${d.daemon})`, d.rpc_types.length ? table(HEADERS("RPC"), rpcRows(d.rpc_types, "rpc", `${testid}-rpc`)) : noData("No RPCs yet")),
    section(`RPCs by user (${d.daemon})`, d.users.length ? table(HEADERS("User"), rpcRows(d.users, "user", `${testid}-user`)) : noData("No RPCs yet")));
}

export async function schedulerPage(ctx) {
  const { picker, title, window } = pickRange(ctx, "scheduler");
  const now = el("div", { "data-testid": "scheduler" });
  const charts = el("div", { "data-testid": "scheduler-charts" });
  ctx.main.append(el("h1", { text: "Scheduler" }), picker, now, section(title, charts));

  const draw = async () => {
    let data;
    try {
      data = await api.get("scheduler");
    } catch (error) {
      if (error.status !== 503) throw error;
      now.replaceChildren(noData(error.message));
      return false;
    }
    now.replaceChildren(
      el("p", { class: "muted", "data-testid": "scheduler-summary", text: `cluster ${data.cluster}: ${data.collections} reads every ${data.interval_s} s, the last in ${formatSeconds(data.collection_cost_us / 1e6)}; this daemon's own RPCs: ${data.own_rpcs.slurmctld} to slurmctld, ${data.own_rpcs.slurmdbd} to slurmdbd` }),
      data.slurmctld ? section("slurmctld", daemonPanel(data.slurmctld, "slurmctld")) : noData(`slurmctld statistics unavailable: ${data.slurmctld_error}`),
      data.slurmdbd ? section("slurmdbd", daemonPanel(data.slurmdbd, "slurmdbd"))
        : section("slurmdbd", el("p", { class: "muted", "data-testid": "slurmdbd-status", text: `slurmdbd: ${data.slurmdbd_status}` })));
    return true;
  };
  if (!(await draw())) return;
  ctx.every(5, draw);

  let drawn = 0;
  try {
    for (const spec of [
      { metric: "scheduler.rpc_rate", by: "rpc", title: "slurmctld RPCs per second, busiest types", format: (v) => v.toFixed(2) },
      { metric: "scheduler.rpc_latency_s", by: "rpc", title: "slurmctld time per RPC", format: formatSeconds },
      { metric: "scheduler.user_rpc_rate", by: "user", title: "slurmctld RPCs per second by user", format: (v) => v.toFixed(2) },
      { metric: "scheduler.agent_queue_size", by: null, title: "Agent queue", format: (v) => v.toFixed(0) },
      { metric: "scheduler.backfill_last_cycle_s", by: null, title: "Backfill last cycle", format: formatSeconds },
      { metric: "scheduler.rpc_rate", by: "rpc", title: "slurmdbd RPCs per second", format: (v) => v.toFixed(2), daemon: "slurmdbd" },
    ]) {
      const daemon = spec.daemon || "slurmctld";
      drawn += (await historyChart(charts, { ...spec, window, keep: (s) => (s.labels || {}).daemon === daemon })) ? 1 : 0;
    }
  } catch (error) {
    if (error.status === 401) throw error;
    charts.append(noData(`History unavailable: ${error.message}`));
    return;
  }
  if (!drawn) charts.append(noData("No scheduler history in this range"));
}
