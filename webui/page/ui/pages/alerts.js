// Alerts: pending, firing and acknowledged lists, acknowledgement with a comment (the
// human-scoped token is asked for first: writes always need it; only firing alerts can be
// acknowledged), and the resolved history.
import * as api from "../api.js";
import { el, noData, section, table } from "../dom.js";
import { formatTime } from "../format.js";

// The fields of an alert as docs/api.md and docs/alerting.md name them, read tolerantly.
export function alertView(a) {
  const labels = a.labels || {};
  return {
    id: a.id ?? a.fingerprint ?? "",
    name: a.name || a.alertname || labels.alertname || a.rule || "alert",
    state: a.acknowledged && a.state === "firing" ? "acknowledged" : a.state || "unknown",
    severity: a.severity || labels.severity || "",
    target: labels.node || labels.job || a.node || a.job || Object.entries(labels).filter(([k]) => k !== "alertname" && k !== "severity").map(([k, v]) => `${k}=${v}`).join(" "),
    description: a.description || (a.annotations && a.annotations.description) || a.summary || a.message || "",
    since: a.active_since || a.activeAt || a.starts_at || a.since || a.started || null,
    ended: a.resolved_at || a.ends_at || a.ended || null,
    value: a.value,
    ack: a.acknowledgement || (a.acknowledged_by ? { by: a.acknowledged_by, comment: a.comment, at: a.acknowledged_at } : null),
  };
}

function row(view, onAck) {
  const ack = view.ack ? `${view.ack.by || view.ack.user || ""}${view.ack.comment ? ": " + view.ack.comment : ""}` : "";
  return el("tr", { "data-testid": "alert-row", dataset: { id: view.id, state: view.state } },
    el("td", { class: `severity ${view.severity}`, text: view.severity }),
    el("td", { "data-testid": "alert-name", text: view.name }),
    el("td", { text: view.target }),
    el("td", { text: view.description }),
    el("td", { text: formatTime(view.since) }),
    el("td", { text: view.ended ? formatTime(view.ended) : ack }),
    el("td", {}, onAck ? el("button", { type: "button", "data-testid": "ack-button", text: "Acknowledge", onclick: () => onAck(view) }) : ""));
}

async function acknowledge(view, refresh) {
  const comment = window.prompt(`Acknowledge "${view.name}" (${view.target}). Comment:`, "");
  if (comment === null) return;
  if (!api.token() && !(await api.askToken("Acknowledging needs the daemon's human-scoped token."))) return;
  try {
    await api.post("alerts/acknowledge", { id: view.id, comment });
  } catch (error) {
    if (error.status === 401 || error.status === 403) {
      api.setToken("");
      if (await api.askToken(`The token was refused (${error.message}). Try another.`)) {
        await api.post("alerts/acknowledge", { id: view.id, comment });
      } else return;
    } else throw error;
  }
  await refresh();
}

export async function alertsPage(ctx) {
  const target = el("div", { "data-testid": "alerts" });
  ctx.main.append(el("h1", { text: "Alerts" }), target);
  const headers = ["Severity", "Alert", "On", "Description", "Since", "Ended / acknowledged", ""];
  const draw = async () => {
    const data = await api.get("alerts");
    const all = (data.alerts || []).map(alertView);
    let resolved = (data.resolved || []).map(alertView);
    if (!data.resolved) {
      try { resolved = ((await api.get("alerts", { state: "resolved" })).alerts || []).map(alertView).filter((a) => a.state === "resolved"); }
      catch { resolved = []; }
    }
    resolved = [...resolved, ...all.filter((a) => a.state === "resolved" && !resolved.some((r) => r.id === a.id))];
    target.replaceChildren();
    for (const [state, title, canAck] of [["firing", "Firing", true], ["pending", "Pending", false], ["acknowledged", "Acknowledged", false]]) {
      const list = all.filter((a) => a.state === state);
      target.append(el("div", { "data-testid": `alerts-${state}` }, section(`${title} (${list.length})`,
        list.length ? table(headers, list.map((a) => row(a, canAck ? (v) => acknowledge(v, draw).catch((e) => target.prepend(el("p", { class: "error", "data-testid": "ack-error", text: `Acknowledge failed: ${e.message}` }))) : null))) : noData(`No ${state} alerts`))));
    }
    target.append(el("div", { "data-testid": "alerts-resolved" }, section(`Resolved (${resolved.length})`,
      resolved.length ? table(headers, resolved.map((a) => row(a, null))) : noData("No resolved alerts"))));
  };
  await draw();
  ctx.every(5, draw);
}
