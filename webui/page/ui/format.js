// Numbers, sizes and times for people. Times follow the browser's zone unless the UTC toggle
// is on (kept in localStorage).
const UTC_KEY = "hpcmon.utc";

export function utcMode() { return localStorage.getItem(UTC_KEY) === "1"; }
export function setUtcMode(on) { localStorage.setItem(UTC_KEY, on ? "1" : "0"); }

// ISO string, epoch milliseconds or Date -> "2026-11-27 21:00:05" (+ zone name).
export function formatTime(value, { seconds = true } = {}) {
  if (value === null || value === undefined || value === "") return "—";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const utc = utcMode();
  const pad = (n) => String(n).padStart(2, "0");
  const y = utc ? date.getUTCFullYear() : date.getFullYear();
  const mo = (utc ? date.getUTCMonth() : date.getMonth()) + 1;
  const d = utc ? date.getUTCDate() : date.getDate();
  const h = utc ? date.getUTCHours() : date.getHours();
  const mi = utc ? date.getUTCMinutes() : date.getMinutes();
  const s = utc ? date.getUTCSeconds() : date.getSeconds();
  return `${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}${seconds ? ":" + pad(s) : ""}${utc ? " UTC" : ""}`;
}

export function zoneName() {
  return utcMode() ? "UTC" : Intl.DateTimeFormat().resolvedOptions().timeZone || "local";
}

export function formatBytes(bytes, digits = 1) {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = Number(bytes), unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(digits)} ${units[unit]}`;
}

export function formatRate(bytesPerSecond) {
  return bytesPerSecond === null || bytesPerSecond === undefined ? "—" : formatBytes(bytesPerSecond) + "/s";
}

export function formatPercent(fraction, digits = 1) {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return "—";
  return `${(fraction * 100).toFixed(digits)} %`;
}

export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  if (seconds === 0) return "0 s";
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(1)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(1)} ms`;
  if (seconds < 120) return `${seconds.toFixed(2)} s`;
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = Math.floor(seconds % 60);
  return h ? `${h} h ${m} min` : `${m} min ${s} s`;
}

export function formatCount(n) {
  if (n === null || n === undefined) return "—";
  return Number(n).toLocaleString("en-US");
}

// Message-size bin label: bin 0 is 0 bytes, bin k is [lower[k], lower[k+1]).
export function sizeBinLabel(lower, k) {
  if (k === 0) return "0 B";
  const short = (b) => b >= 1 << 30 ? `${b / (1 << 30)}G` : b >= 1 << 20 ? `${b / (1 << 20)}M` : b >= 1024 ? `${b / 1024}K` : `${b}`;
  return k + 1 < lower.length ? `${short(lower[k])}–${short(lower[k + 1] - 1)}` : `≥${short(lower[k])}`;
}
