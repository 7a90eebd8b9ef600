// Database: the accounting database as the daemon sees it (GET api/v1/db, docs/accounting-db.md):
// the slow log's follower, findings (full scans, N+1 bursts, leading-wildcard LIKE, unbounded
// results) with evidence and suggestions, CREATE INDEX suggestions, the top statement
// fingerprints, the connection health when the daemon reads it, and history charts of the
// series the head stores (connections against the maximum and per client, statement rates and
// p95 latencies per fingerprint, the follower's total) over the page's range.
import * as api from "./api.js";
import { card, el, noData, section, table } from "./dom.js";
import { formatCount, formatSeconds, formatTime } from "./format.js";
import { historyChart, pickRange } from "./history.js";

const PATTERN_TITLES = {
  full_scan: "Full table scan",
  n_plus_one: "N+1 burst",
  leading_wildcard_like: "Leading-wildcard LIKE",
  unbounded_result: "Unbounded result",
};

function findingRows(findings) {
  return findings.map((f) => el("tr", { "data-testid": "db-finding", dataset: { pattern: f.pattern, fingerprint: f.fingerprint_id } },
    el("td", { text: PATTERN_TITLES[f.pattern] || f.pattern }),
    el("td", { class: "num", "data-testid": "db-finding-count", text: String(f.count) }),
    el("td", {}, el("code", { class: "sql", text: f.fingerprint })),
    el("td", {}, el("div", { text: f.evidence }), el("div", { class: "muted", text: f.suggestion }))));
}

function fingerprintRows(list) {
  return list.map((f) => el("tr", { "data-testid": "db-fingerprint", dataset: { id: f.id } },
    el("td", {}, el("code", { class: "sql", text: f.fingerprint })),
    el("td", { class: "num", "data-testid": "db-fingerprint-count", text: String(f.count) }),
    el("td", { class: "num", text: formatSeconds(f.total_time_s) }),
    el("td", { class: "num", text: formatSeconds(f.p50_s) }),
    el("td", { class: "num", text: formatSeconds(f.p95_s) }),
    el("td", { class: "num", text: formatSeconds(f.p99_s) }),
    el("td", { class: "num", text: `${formatCount(f.rows_examined)} / ${formatCount(f.rows_sent)}` }),
    el("td", { text: Object.keys(f.clients || {}).join(", ") }),
    el("td", { "data-testid": "db-fingerprint-sources", text: (f.sources || []).join(", ") }),
    el("td", { text: `${formatTime(f.first_seen * 1000)} – ${formatTime(f.last_seen * 1000)}` })));
}

// The daemon's own connection (dbhealth/mariadb, GET api/v1/db/connections): up or why not,
// connections against the maximum, and who holds them.
function connectionsPanel(c) {
  if (!c) return noData("Connection health is not read (accounting_db.enabled is false or the daemon has no connection part)");
  if (!c.db_up) return el("div", { class: "muted", "data-testid": "db-connections", text: `Database not reachable (${c.failure}): ${c.error}` });
  const clients = (c.clients || []).map((k) => el("tr", { "data-testid": "db-client" },
    el("td", { text: k.client }), el("td", { class: "num", text: String(k.connections) }), el("td", { class: "num", text: String(k.active) })));
  return el("div", { "data-testid": "db-connections" },
    el("div", { class: "cards" },
      card("Connections", `${formatCount(c.connections_used)} / ${formatCount(c.max_connections)}`, `peak ${formatCount(c.max_used_connections)}`, { "data-testid": "db-card-connections" }),
      card("Running", formatCount(c.threads_running), "statements now"),
      card("Aborted connects", formatCount(c.aborted_connects), "since the server started")),
    (c.missing_privileges || []).length ? el("p", { class: "muted", text: `The daemon's account lacks ${c.missing_privileges.join(", ")}: partial view` }) : null,
    table(["Client", { text: "Connections", num: true }, { text: "Active", num: true }], clients, { "data-testid": "db-clients" }));
}

// The stored db.* series over the range (docs/accounting-db.md), fingerprints named by the
// start of their text as GET api/v1/db gives it.
async function historyCharts(target, window, latest) {
  const text = new Map(((latest && latest.fingerprints) || []).map((f) => [f.id, f.fingerprint]));
  const fingerprint = (s) => {
    const id = s.labels.fingerprint || "";
    const sql = text.get(id);
    return sql ? `${sql.length > 48 ? sql.slice(0, 47) + "…" : sql} (${id.slice(0, 6)})` : id;
  };
  const count = (v) => v.toFixed(0);
  const specs = [
    { metrics: ["db.connections_used", "db.max_connections"], title: "Connections used against the maximum", format: count,
      label: (s) => (s.metric === "db.max_connections" ? "max_connections" : "used") + (s.labels.cluster ? ` (${s.labels.cluster})` : "") },
    { metric: "db.client_connections", by: "client", title: "Connections per client", format: count },
    { metric: "db.threads_running", by: "cluster", title: "Statements running", format: count },
    { metric: "db.fingerprint_rate", title: "Executions per second, busiest fingerprints", format: (v) => v.toFixed(2), label: fingerprint },
    { metric: "db.fingerprint_p95_s", title: "p95 latency per fingerprint", format: formatSeconds, label: fingerprint },
    { metric: "db.slowlog_entries", by: "cluster", title: "Slow-log statements read (total)", format: count },
    { metric: "db.up", by: "cluster", title: "Database reachable (1 up, 0 down)", format: count },
  ];
  let drawn = 0;
  try {
    for (const spec of specs) drawn += (await historyChart(target, { ...spec, window })) ? 1 : 0;
  } catch (error) {
    if (error.status === 401) throw error;
    target.append(noData(`History unavailable: ${error.message}`));
    return;
  }
  if (!drawn) target.append(noData("No database history in this range"));
}

export async function databasePage(ctx) {
  const { picker, title, window } = pickRange(ctx, "database");
  const body = el("div", { "data-testid": "database" });
  const charts = el("div", { "data-testid": "db-charts" });
  ctx.main.append(el("h1", { text: "Accounting database" }), picker, body, section(title, charts));
  let latest = null;

  const draw = async () => {
    let data;
    try {
      data = await api.get("db");
    } catch (error) {
      if (error.status !== 503 && error.status !== 403) throw error;
      body.replaceChildren(noData(error.message));
      return false;
    }
    latest = data;
    const log = data.slow_log;
    const parts = [];
    if (log) {
      parts.push(el("div", { class: "cards" },
        card("Statements read", formatCount(log.entries), `slow log ${log.path}, byte ${formatCount(log.offset)}`, { "data-testid": "db-card-entries" }),
        card("Malformed entries", formatCount(log.malformed), "skipped, named in the daemon's log"),
        card("Fingerprints", formatCount(data.distinct_fingerprints), data.other_entries ? `${data.other_entries} beyond the limit` : "distinct statements"),
        card("Findings", String(data.findings.length), `${data.suggestions.length} index suggestions`)));
      parts.push(section("Findings", data.findings.length
        ? table(["Pattern", { text: "Count", num: true }, "Fingerprint", "Evidence and suggestion"], findingRows(data.findings), { "data-testid": "db-findings" })
        : noData("No pattern found")));
      parts.push(section("Index suggestions (try them on a development copy: hpcmon db try-index)", data.suggestions.length
        ? el("div", {}, data.suggestions.map((s) => el("div", { class: "suggestion" },
          el("pre", { "data-testid": "db-suggestion", text: s.statement }),
          el("p", { class: "muted", text: s.reason }))))
        : noData("No index suggestion")));
    } else {
      parts.push(noData("The slow log is not followed (accounting_db.slow_log is empty): findings and index suggestions need it; the statement statistics below come from performance_schema's digests alone"));
    }
    if (log || (data.fingerprints || []).length) {
      parts.push(section(`Top fingerprints by total time (latency quantiles within ${(data.latency_relative_accuracy * 100).toFixed(0)} %)`,
        data.fingerprints.length
          ? table(["Fingerprint", { text: "Count", num: true }, { text: "Total", num: true }, { text: "p50", num: true },
            { text: "p95", num: true }, { text: "p99", num: true }, { text: "Rows examined / sent", num: true }, "Clients", "Source", "Seen"],
          fingerprintRows(data.fingerprints), { "data-testid": "db-fingerprints" })
          : noData("No statement read yet")));
    }
    parts.push(section("Connections", connectionsPanel(data.connections)));
    body.replaceChildren(...parts);
    return true;
  };
  if (!(await draw())) { charts.closest("section").remove(); return; }
  ctx.every(10, draw);
  await historyCharts(charts, window, latest);
}
