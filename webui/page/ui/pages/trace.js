// The Trace panel of a job step: what the step's MPI trace says about waiting (GET
// api/v1/jobs/{id}/trace/summary, docs/tracing.md "Analysis"): the rank dependency map (who
// waits for whom, weighted by the time waited), each rank's wait by peer, and per MPI function
// the latency histogram in log2 nanosecond buckets. Every figure is the API's, unrounded in the
// elements' data attributes. Never draws more than MAX_RANKS ranks or MAX_FUNCTIONS functions:
// beyond, it says what it left out.
import { color } from "../charts.js";
import { card, el, noData, table } from "../dom.js";
import { formatCount, formatSeconds } from "../format.js";

const MAX_RANKS = 64;       // rows and columns of the dependency map, rows of the wait table
const LABELLED_RANKS = 16;  // up to this many ranks the map's cells also print their time
const MAX_EDGES = 20;       // heaviest edges listed under the map
const MAX_FUNCTIONS = 8;    // latency histograms drawn
const PEERS_NAMED = 3;      // peers named per rank in the wait table
const KIND = { late_sender: "late sender", collective: "collective" };
const SVG = "http://www.w3.org/2000/svg";

const seconds = (ns) => formatSeconds(ns / 1e9);

// Short duration for axis labels: 512 ns, 1 µs, 33 ms, 2 s.
function shortNs(ns) {
  const [value, unit] = ns >= 1e9 ? [ns / 1e9, "s"] : ns >= 1e6 ? [ns / 1e6, "ms"] : ns >= 1e3 ? [ns / 1e3, "µs"] : [ns, "ns"];
  return `${value >= 10 || Number.isInteger(value) ? Math.round(value) : value.toFixed(1)} ${unit}`;
}

export function notTraced() {
  const code = (text) => el("code", { text });
  return el("p", { class: "muted", "data-testid": "trace-off" },
    "Not traced: no dependency map, wait states or latency histograms for this step. To trace a job, submit it with ",
    code("srun --hpcmon-trace"), " or ", code("sbatch --hpcmon-trace"), ", set ", code("hpc.trace: true"),
    " in the configuration, or run with ", code("HPCMON_MPI_TRACE=1"), " in the environment (outside Slurm, e.g. mpirun); ",
    code("--hpcmon-trace=N"), " or ", code("hpc.trace_events"), " bounds the events kept per rank (docs/tracing.md).");
}

// The (waiter, waited_for) edges of the summary with their kinds added up.
function pairs(waits) {
  const out = new Map();
  for (const w of waits) {
    const key = `${w.waiter}>${w.waited_for}`;
    if (!out.has(key)) out.set(key, { waiter: w.waiter, peer: w.waited_for, wait_ns: 0, count: 0, kinds: [] });
    const p = out.get(key);
    p.wait_ns += w.wait_ns;
    p.count += w.count;
    p.kinds.push(`${KIND[w.kind] || w.kind} ${seconds(w.wait_ns)} over ${formatCount(w.count)}`);
  }
  return out;
}

// The ranks drawn: all up to MAX_RANKS, else those that wait or are waited for the longest.
function shownRanks(summary, edges) {
  const n = summary.ranks;
  if (n <= MAX_RANKS) return Array.from({ length: n }, (_, r) => r);
  const weight = new Map();
  for (const e of edges.values())
    for (const r of [e.waiter, e.peer]) weight.set(r, (weight.get(r) || 0) + e.wait_ns);
  return [...weight].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, MAX_RANKS).map(([r]) => r).sort((a, b) => a - b);
}

function dependencyMap(summary, edges) {
  if (!edges.size) return noData("Nobody waited: no late sender and no wait at a collective");
  const ranks = shownRanks(summary, edges);
  const max = Math.max(...[...edges.values()].map((e) => e.wait_ns));
  const labelled = ranks.length <= LABELLED_RANKS;
  const head = el("tr", {}, el("th", { text: "waiter \\ waits for" }), ranks.map((r) => el("th", { class: "num", text: r })));
  const rows = ranks.map((w) => el("tr", {}, el("th", { class: "num", text: w }), ranks.map((p) => {
    const e = edges.get(`${w}>${p}`);
    if (!e) return el("td", { class: "dep" });
    const level = Math.log1p(e.wait_ns) / Math.log1p(max);
    return el("td", {
      class: "dep", "data-testid": "dep-cell", dataset: { waiter: w, peer: p, waitNs: e.wait_ns, count: e.count },
      title: `rank ${w} waits for rank ${p}: ${seconds(e.wait_ns)} (${e.kinds.join("; ")})`,
      style: { background: `rgba(197,48,48,${(0.1 + 0.9 * level).toFixed(3)})`, color: level > 0.55 ? "#fff" : "inherit" },
    }, labelled ? seconds(e.wait_ns) : "");
  })));
  const note = summary.ranks > ranks.length
    ? `${ranks.length} of ${summary.ranks} ranks shown: those in the most waiting; every edge is in the list below. `
    : "";
  return el("div", { class: "heatmap-box" },
    el("table", { class: `heatmap${labelled ? "" : " dense"}`, "data-testid": "dependency-map" }, el("thead", {}, head), el("tbody", {}, rows)),
    el("p", { class: "muted", text: `${note}Row waits for column; time waited, darker is more (log scale). Hover a cell for the kinds of wait.` }));
}

function edgeList(summary) {
  const list = summary.waits.slice(0, MAX_EDGES);
  if (!list.length) return null;
  const more = summary.waits.length - list.length;
  return el("div", {},
    table([{ text: "Waiter", num: true }, { text: "Waits for", num: true }, "Kind", { text: "Time waited", num: true }, { text: "Occurrences", num: true }],
      list.map((w) => el("tr", { "data-testid": "wait-edge", dataset: { waiter: w.waiter, peer: w.waited_for, kind: w.kind, waitNs: w.wait_ns } },
        el("td", { class: "num", text: w.waiter }), el("td", { class: "num", text: w.waited_for }),
        el("td", { text: KIND[w.kind] || w.kind }), el("td", { class: "num", text: seconds(w.wait_ns) }),
        el("td", { class: "num", text: formatCount(w.count) }))), { "data-testid": "wait-edges" }),
    more > 0 ? el("p", { class: "muted", text: `${more} lighter edges not listed (hpcmon trace summary lists all).` }) : null);
}

// Per rank, its total wait (rank_wait_ns) split by the peers it waited for.
function rankWaits(summary, edges) {
  const byRank = new Map();
  for (const e of edges.values()) {
    if (!byRank.has(e.waiter)) byRank.set(e.waiter, []);
    byRank.get(e.waiter).push(e);
  }
  const totals = summary.rank_wait_ns.map((ns, rank) => ({ rank, ns })).filter((r) => r.ns > 0).sort((a, b) => b.ns - a.ns || a.rank - b.rank);
  if (!totals.length) return noData("No rank waited");
  const shown = totals.slice(0, MAX_RANKS);
  const max = shown[0].ns;
  const rows = shown.map(({ rank, ns }) => {
    const peers = (byRank.get(rank) || []).sort((a, b) => b.wait_ns - a.wait_ns);
    const bar = el("div", { class: "stack", title: peers.map((p) => `rank ${p.peer}: ${seconds(p.wait_ns)}`).join(", ") },
      peers.map((p) => el("span", {
        "data-testid": "rank-wait-peer", dataset: { peer: p.peer, waitNs: p.wait_ns },
        style: { width: `${(100 * p.wait_ns / max).toFixed(2)}%`, background: color(p.peer) },
      })));
    const named = peers.slice(0, PEERS_NAMED).map((p) => `rank ${p.peer} ${seconds(p.wait_ns)}`).join(", ")
      + (peers.length > PEERS_NAMED ? `, ${peers.length - PEERS_NAMED} more` : "");
    return el("tr", { "data-testid": "rank-wait", dataset: { rank, waitNs: ns } },
      el("td", { class: "num", text: rank }), el("td", { class: "num", "data-testid": "rank-wait-total", text: seconds(ns) }),
      el("td", { class: "meter-cell" }, bar), el("td", { text: named }));
  });
  return el("div", {},
    table([{ text: "Rank", num: true }, { text: "Waited", num: true }, "By peer (colour per peer)", "Waits for"], rows, { "data-testid": "rank-waits" }),
    totals.length > shown.length ? el("p", { class: "muted", text: `${shown.length} of ${totals.length} waiting ranks shown, longest waits first.` }) : null);
}

// One function's log2 histogram as SVG bars over its contiguous bucket range.
function histogram(fn) {
  const box = el("div", { class: "trace-hist", "data-testid": "trace-histogram", dataset: { function: fn.function } });
  box.append(el("div", { class: "trace-hist-title" }, el("strong", { text: fn.function }),
    el("span", { class: "muted", text: ` ${formatCount(fn.calls)} calls, total ${seconds(fn.total_ns)}, longest ${seconds(fn.max_ns)}` })));
  const buckets = fn.histogram_log2_ns;
  if (!buckets.length) { box.append(noData("No calls")); return box; }
  const bucketOf = (b) => (b.ge_ns === 0 ? 0 : Math.round(Math.log2(b.lt_ns)));
  const first = bucketOf(buckets[0]), last = bucketOf(buckets[buckets.length - 1]);
  const byBucket = new Map(buckets.map((b) => [bucketOf(b), b]));
  const width = 360, height = 130, left = 40, bottom = 22, top = 6;
  const n = last - first + 1, slot = (width - left - 18) / n;  // room for the last label
  const maxCount = Math.max(...buckets.map((b) => b.count));
  const svg = document.createElementNS(SVG, "svg");
  const attrs = (node, values) => { for (const [k, v] of Object.entries(values)) node.setAttribute(k, String(v)); return node; };
  attrs(svg, { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": `${fn.function} latency histogram` });
  const text = (x, y, content, anchor = "middle") => {
    const t = attrs(document.createElementNS(SVG, "text"), { x, y, "text-anchor": anchor, "font-size": 10, fill: "#4a5568" });
    t.textContent = content;
    return t;
  };
  svg.append(attrs(document.createElementNS(SVG, "line"), { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: "#a0aec0" }));
  svg.append(text(left - 4, top + 8, formatCount(maxCount), "end"), text(left - 4, height - bottom, "0", "end"));
  const labelEvery = Math.max(1, Math.ceil(n / 6));
  for (let k = 0; k < n; k++) {
    const bucket = first + k;
    const b = byBucket.get(bucket) || { ge_ns: bucket === 0 ? 0 : 2 ** (bucket - 1), lt_ns: 2 ** bucket, count: 0 };
    const x = left + k * slot;
    if (b.count > 0) {
      const h = Math.max(1, (height - bottom - top) * b.count / maxCount);
      const rect = attrs(document.createElementNS(SVG, "rect"), {
        x: x + slot * 0.1, y: height - bottom - h, width: slot * 0.8, height: h, fill: "#2b6cb0",
        "data-testid": "hist-bar", "data-ge-ns": b.ge_ns, "data-lt-ns": b.lt_ns, "data-count": b.count,
      });
      const title = document.createElementNS(SVG, "title");
      title.textContent = `[${shortNs(b.ge_ns)}, ${shortNs(b.lt_ns)}): ${formatCount(b.count)} calls`;
      rect.append(title);
      svg.append(rect);
    }
    if (k % labelEvery === 0) svg.append(text(x + slot / 2, height - 6, b.ge_ns === 0 ? "0" : shortNs(b.ge_ns)));
  }
  box.append(svg);
  return box;
}

function histograms(summary) {
  const fns = summary.functions.slice(0, MAX_FUNCTIONS);
  if (!fns.length) return noData("No traced calls");
  const more = summary.functions.length - fns.length;
  return el("div", {},
    el("div", { class: "trace-hists", "data-testid": "trace-histograms" }, fns.map(histogram)),
    el("p", { class: "muted", text: `Calls by duration, log2 buckets (a bar is [lower bound, twice it)); largest total time first.${more > 0 ? ` ${more} more functions: hpcmon trace summary.` : ""}` }));
}

// The panel for one step's summary (the API's steps[i].summary).
export function tracePanel(summary) {
  const edges = pairs(summary.waits);
  const dropped = summary.dropped > 0;
  return el("div", { class: "trace", "data-testid": "trace" },
    el("div", { class: "cards" },
      card("Traced calls", formatCount(summary.events), `${summary.ranks} ranks`, { "data-testid": "trace-events" }),
      card("Dropped", formatCount(summary.dropped), dropped ? "buffers filled up: waits are partial" : "none",
        { class: dropped ? "card alarm" : "card", "data-testid": "trace-dropped" }),
      card("Messages matched", formatCount(summary.messages_matched), `${formatCount(summary.receives_unmatched)} receives unmatched`)),
    el("h4", { text: "Rank dependency map: who waits for whom" }), dependencyMap(summary, edges), edgeList(summary),
    el("h4", { text: "Wait per rank, by peer" }), rankWaits(summary, edges),
    el("h4", { text: "Latency per MPI function" }), histograms(summary));
}
