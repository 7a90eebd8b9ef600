// Jobs: running and finished, filtered by user, state and start time, paginated. Filters live
// in the route (#/jobs?user=alice&state=failed&offset=25, and limit= for another page size) so
// a view can be linked.
import * as api from "../api.js";
import { el, link, noData, table } from "../dom.js";
import { formatTime, zoneName } from "../format.js";

const PAGE = 25;
const STATES = ["", "running", "pending", "completing", "completed", "failed", "ended"];

// datetime-local value (browser zone, or UTC with the toggle) <-> epoch seconds
import { utcMode } from "../format.js";
function toEpoch(local) {
  if (!local) return "";
  const ms = utcMode() ? Date.parse(local + "Z") : new Date(local).getTime();
  return Number.isNaN(ms) ? "" : String(Math.floor(ms / 1000));
}
function toLocal(epoch) {
  if (!epoch) return "";
  const d = new Date(Number(epoch) * 1000);
  const iso = utcMode() ? d.toISOString() : new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString();
  return iso.slice(0, 16);
}

export async function jobsPage(ctx) {
  const p = ctx.params;
  const offset = Number(p.get("offset") || 0);
  const limit = Math.min(Math.max(Number(p.get("limit")) || PAGE, 1), 1000);
  const user = el("input", { name: "user", value: p.get("user") || "", placeholder: "user", "data-testid": "filter-user" });
  const state = el("select", { name: "state", "data-testid": "filter-state" },
    STATES.map((s) => el("option", { value: s, text: s || "any state", selected: s === (p.get("state") || "") })));
  const since = el("input", { type: "datetime-local", name: "since", value: toLocal(p.get("since")), "data-testid": "filter-since" });
  const until = el("input", { type: "datetime-local", name: "until", value: toLocal(p.get("until")), "data-testid": "filter-until" });
  const form = el("form", { class: "filters", "data-testid": "job-filters", onsubmit: (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (user.value.trim()) next.set("user", user.value.trim());
    if (state.value) next.set("state", state.value);
    if (toEpoch(since.value)) next.set("since", toEpoch(since.value));
    if (toEpoch(until.value)) next.set("until", toEpoch(until.value));
    if (p.get("limit")) next.set("limit", p.get("limit"));
    ctx.navigate(["jobs"], next);
  } }, user, state, el("label", {}, "started after ", since), el("label", {}, "before ", until),
  el("button", { type: "submit", text: "Filter" }), el("span", { class: "muted", text: ` times in ${zoneName()}` }));
  const list = el("div", { "data-testid": "jobs" });
  ctx.main.append(el("h1", { text: "Jobs" }), form, list);

  const draw = async () => {
    const data = await api.get("jobs", { user: p.get("user"), state: p.get("state"), since: p.get("since"),
      until: p.get("until"), limit, offset });
    list.replaceChildren();
    if (!data.jobs.length) { list.append(noData("No job matches")); return; }
    const rows = data.jobs.map((job) => el("tr", { "data-testid": "job-row", dataset: { job: job.job } },
      el("td", {}, link("jobs", [job.job], job.job)),
      el("td", { class: "name", "data-testid": "job-name", text: job.name || "" }),
      el("td", { text: job.user || "" }),
      el("td", {}, el("span", { class: `state state-${job.state}`, text: job.state })),
      el("td", { text: job.partition || "" }),
      el("td", { text: job.node_list || "" }),
      el("td", { text: formatTime(job.start) }),
      el("td", { text: formatTime(job.end) }),
      el("td", { class: "num", text: Array.isArray(job.steps) ? job.steps.length : job.steps ?? "" })));
    list.append(table(["Job", "Name", "User", "State", "Partition", "Nodes", "Start", "End", { text: "Steps", num: true }], rows));
    const pager = el("div", { class: "pager", "data-testid": "pager" },
      el("span", { text: `${offset + 1}–${offset + data.jobs.length} of ${data.total}` }));
    const go = (to) => { const next = new URLSearchParams(p); next.set("offset", String(to)); ctx.navigate(["jobs"], next); };
    if (offset > 0) pager.prepend(el("button", { type: "button", "data-testid": "previous-page", text: "‹ Newer", onclick: () => go(Math.max(0, offset - limit)) }));
    if (offset + data.jobs.length < data.total) pager.append(el("button", { type: "button", "data-testid": "next-page", text: "Older ›", onclick: () => go(offset + limit) }));
    list.append(pager);
  };
  await draw();
  ctx.every(10, draw);
}
