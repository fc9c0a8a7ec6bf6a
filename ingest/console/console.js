// Pulse segment console. Plain JS, no dependencies. Every value from the API is
// written with textContent (never innerHTML), so player data renders as text.
"use strict";

// The console knows no segment name: every list (sizes, chart, badges, the override
// picker, the rules) comes from the published catalogue, GET /admin/api/segments/catalogue.
const TOKEN_KEY = "pulse.adminToken";
const SVG_NS = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);
let currentUserId = null;
let catalogue = [];

// ---- API -------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function describeDetail(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((item) => {
      const where = (item.loc || []).filter((part) => part !== "body").join(".");
      return where ? `${where}: ${item.msg}` : item.msg;
    }).join("; ");
  }
  return "unexpected error";
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, "Pulse API unreachable: check your connection and retry.");
  }
  if (response.status === 401) {
    signOut();
    throw new ApiError(401, "Your token was refused (expired or invalid). Sign in again.");
  }
  const isJson = (response.headers.get("content-type") || "").includes("application/json");
  const payload = isJson ? await response.json() : null;
  if (!response.ok) {
    const message = payload && payload.detail !== undefined
      ? describeDetail(payload.detail) : `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return payload;
}

// ---- small DOM helpers -----------------------------------------------------

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function fmtTime(value) {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

function fmtNumber(value) {
  if (value === null || value === undefined) return "—";
  const number = Number(value);
  return Number.isFinite(number) ? number.toLocaleString() : String(value);
}

function fmtValue(key, value) {
  if (value === null || value === undefined) return "—";
  if (/_at$/.test(key)) return fmtTime(value);
  if (typeof value === "number" || /^-?\d+(\.\d+)?$/.test(String(value))) return fmtNumber(value);
  return String(value);
}

function fillRows(tbody, rows, emptyText, columns) {
  tbody.replaceChildren();
  if (rows.length === 0) {
    const row = el("tr");
    const cell = el("td", emptyText, "empty");
    cell.colSpan = columns;
    row.append(cell);
    tbody.append(row);
    return;
  }
  rows.forEach((row) => tbody.append(row));
}

// A segment's colour follows from the catalogue: hues a golden angle apart by priority,
// so any number of segments stay apart and a new one gets a colour without a change
// here. A name the catalogue no longer holds (history, an ignored override) gets a hue
// hashed from the name (FNV-1a).
function segmentColor(name) {
  const index = catalogue.findIndex((entry) => entry.name === name);
  let hue;
  if (index >= 0) {
    hue = (40 + index * 137.508) % 360;
  } else {
    let hash = 0x811c9dc5;
    for (const char of String(name)) hash = Math.imul(hash ^ char.codePointAt(0), 0x01000193) >>> 0;
    hue = hash % 360;
  }
  return `hsl(${hue.toFixed(1)}, 60%, 38%)`;
}

// The colour is set through the CSSOM, which the page's CSP (no inline styles) allows.
function paint(node, segment) {
  if (segment) node.style.setProperty("--seg-color", segmentColor(segment));
  return node;
}

function segmentBadge(segment) {
  return paint(el("span", segment || "—", "badge seg"), segment);
}

function setBadge(node, segment, emptyText) {
  node.textContent = segment || emptyText;
  node.className = "badge seg";
  node.style.removeProperty("--seg-color");
  paint(node, segment);
}

function showError(message) {
  const banner = $("error");
  banner.textContent = message;
  banner.hidden = false;
  $("notice").hidden = true;
}

function showNotice(message) {
  const banner = $("notice");
  banner.textContent = message;
  banner.hidden = false;
  $("error").hidden = true;
}

function clearBanners() {
  $("error").hidden = true;
  $("notice").hidden = true;
}

// ---- sign in / out ---------------------------------------------------------

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  $("app").hidden = true;
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  $("freshness").replaceChildren();
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    await loadOverview();
  } catch (error) {
    if (error.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      showError("This token has no admin role: the console needs an admin token.");
      return;
    }
    if (error.status !== 503) {
      showError(error.message);
      return;
    }
  }
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
}

// ---- overview: sizes, freshness, chart, transitions -------------------------

async function loadOverview() {
  let summary;
  try {
    summary = await api("GET", "/admin/api/segments");
  } catch (error) {
    if (error.status === 503) {
      showError(error.message);
      $("freshness").textContent = "not published yet";
    }
    throw error;
  }
  const [published, sizes, changes] = await Promise.all([
    api("GET", "/admin/api/segments/catalogue"),
    api("GET", "/admin/api/segments/sizes?points=60"),
    api("GET", "/admin/api/segments/changes/recent?limit=25"),
  ]);
  catalogue = published.entries;
  renderSummary(summary);
  renderCatalogue(published);
  renderOverridePicker();
  renderChart(sizes.points);
  renderChanges(changes);
}

function renderCatalogue(published) {
  const rows = published.entries.map((entry) => {
    const row = el("tr");
    row.dataset.segment = entry.name;
    const name = el("td");
    name.append(segmentBadge(entry.name));
    const when = el("td", entry.when === null ? "fallback: no rule above holds" : entry.when,
      entry.when === null ? "muted" : "when");
    const description = el("td", entry.description || "");
    if (entry.description_ko) {
      const korean = el("span", entry.description_ko, "description-ko muted");
      korean.lang = "ko";
      description.append(korean);
    }
    row.append(el("td", entry.priority, "num"), name, when, description,
      el("td", fmtNumber(entry.users), "num"));
    return row;
  });
  fillRows($("catalogue-table").tBodies[0], rows, "No segments published.", 5);
  $("catalogue-meta").textContent =
    `${fmtNumber(published.total_users)} users · rules evaluated as of ${fmtTime(published.as_of)} · ` +
    `published ${fmtTime(published.computed_at)}`;
}

function renderOverridePicker() {
  const select = $("override-segment");
  const chosen = select.value;
  select.replaceChildren(...catalogue.map((entry) => {
    const option = el("option", entry.name);
    option.value = entry.name;
    return option;
  }));
  if (catalogue.some((entry) => entry.name === chosen)) select.value = chosen;
}

function showView(name) {
  $("overview-view").hidden = name !== "overview";
  $("rules-view").hidden = name !== "rules";
  $("view-overview").setAttribute("aria-pressed", String(name === "overview"));
  $("view-rules").setAttribute("aria-pressed", String(name === "rules"));
}

function renderSummary(summary) {
  const freshness = $("freshness");
  freshness.replaceChildren();
  const state = el("span", summary.is_fresh ? "fresh" : "stale", summary.is_fresh ? "fresh" : "stale");
  freshness.append("Segments computed ", fmtTime(summary.computed_at), " (", state, ")");

  const rows = summary.segments.map((entry) => {
    const row = el("tr");
    const name = el("td");
    name.append(segmentBadge(entry.segment));
    const share = summary.total_users ? (100 * entry.users) / summary.total_users : 0;
    const exportCell = el("td");
    const button = el("button", "CSV", "small-button");
    button.type = "button";
    button.dataset.segment = entry.segment;
    button.addEventListener("click", () => exportSegment(entry.segment));
    exportCell.append(button);
    row.append(name, el("td", fmtNumber(entry.users), "num"), el("td", `${share.toFixed(1)}%`, "num"), exportCell);
    return row;
  });
  fillRows($("segment-table").tBodies[0], rows, "No segments published.", 4);
  $("segment-meta").textContent =
    `${fmtNumber(summary.total_users)} users · rules evaluated as of ${fmtTime(summary.as_of)} · ` +
    `${fmtNumber(summary.live_overrides)} live overrides` +
    (summary.ignored_overrides
      ? ` (${fmtNumber(summary.ignored_overrides)} ignored: their segment is no longer published)`
      : "");
}

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG_NS, tag);
  Object.entries(attributes || {}).forEach(([key, value]) => node.setAttribute(key, String(value)));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function renderChart(points) {
  const chart = $("chart");
  chart.replaceChildren();
  const legend = $("chart-legend");
  legend.replaceChildren();
  if (points.length === 0) {
    chart.append(el("p", "No snapshot history yet: the chart fills in as the pipeline runs.", "muted"));
    return;
  }
  const width = 640, height = 240, left = 56, right = 12, top = 12, bottom = 28;
  const times = points.map((point) => new Date(point.at).getTime());
  const minTime = Math.min(...times), maxTime = Math.max(...times);
  const names = catalogue.map((entry) => entry.name);
  const maxSize = Math.max(1, ...points.flatMap((point) => names.map((name) => point.sizes[name] || 0)));
  const x = (time) => maxTime === minTime
    ? left + (width - left - right) / 2
    : left + ((time - minTime) / (maxTime - minTime)) * (width - left - right);
  const y = (size) => top + (1 - size / maxSize) * (height - top - bottom);

  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, id: "chart-svg" });
  root.append(svg("line", { x1: left, y1: top, x2: left, y2: height - bottom, class: "axis" }));
  root.append(svg("line", { x1: left, y1: height - bottom, x2: width - right, y2: height - bottom, class: "axis" }));
  [0, 0.5, 1].forEach((fraction) => {
    const value = Math.round(maxSize * fraction);
    root.append(svg("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end", class: "tick" }, value.toLocaleString()));
  });
  const firstLabel = new Date(minTime).toLocaleDateString();
  const lastLabel = new Date(maxTime).toLocaleDateString();
  root.append(svg("text", { x: left, y: height - 8, class: "tick" }, firstLabel));
  root.append(svg("text", { x: width - right, y: height - 8, "text-anchor": "end", class: "tick" }, lastLabel));

  names.forEach((segment) => {
    const color = segmentColor(segment);
    const coordinates = points.map((point, index) => [x(times[index]), y(point.sizes[segment] || 0)]);
    const path = coordinates.map(([px, py], index) => `${index ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
    root.append(svg("path", { d: path, stroke: color, class: "series", "data-segment": segment }));
    coordinates.forEach(([px, py], index) => {
      const dot = svg("circle", { cx: px.toFixed(1), cy: py.toFixed(1), r: 3, fill: color });
      dot.append(svg("title", {}, `${segment}: ${(points[index].sizes[segment] || 0).toLocaleString()} at ${fmtTime(points[index].at)}`));
      root.append(dot);
    });
    const item = el("li");
    item.dataset.segment = segment;
    item.append(paint(el("span", "", "swatch"), segment), segment);
    legend.append(item);
  });
  chart.append(root);
  if (points.length === 1) chart.append(el("p", "One snapshot so far: lines appear after the next run.", "muted small"));
}

function renderChanges(changes) {
  const rows = changes.map((change) => {
    const row = el("tr");
    const userCell = el("td");
    const link = el("button", change.user_id, "link");
    link.type = "button";
    link.addEventListener("click", () => lookUp(change.user_id));
    userCell.append(link);
    const from = el("td");
    from.append(change.from_segment ? segmentBadge(change.from_segment) : el("span", "first seen", "muted"));
    const to = el("td");
    to.append(segmentBadge(change.to_segment));
    row.append(el("td", fmtTime(change.changed_at)), userCell, from, to);
    return row;
  });
  fillRows($("changes-table").tBodies[0], rows, "No transitions yet.", 4);
}

async function exportSegment(segment) {
  clearBanners();
  const response = await fetch(`/admin/api/segments/${encodeURIComponent(segment)}/export`, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` },
  });
  if (!response.ok) {
    const payload = await response.json().catch(() => null);
    showError(payload ? describeDetail(payload.detail) : `Export failed: HTTP ${response.status}`);
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const anchor = el("a");
  anchor.href = url;
  anchor.download = `segment-${segment}.csv`;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- user lookup -----------------------------------------------------------

async function lookUp(userId) {
  clearBanners();
  $("lookup-user-id").value = userId;
  try {
    const [view, history] = await Promise.all([
      api("GET", `/admin/api/users/${userId}/segment`),
      api("GET", `/admin/api/users/${userId}/segment/history`),
    ]);
    currentUserId = userId;
    renderUser(view);
    renderHistory(history);
    $("user-panel").hidden = false;
  } catch (error) {
    $("user-panel").hidden = true;
    currentUserId = null;
    showError(error.status === 404 ? `No user with id ${userId}.` : error.message);
  }
}

function renderUser(view) {
  $("user-title").textContent = `User ${view.user_id}`;
  setBadge($("user-segment"), view.segment, "not segmented");
  $("user-override-flag").hidden = !view.is_override;
  $("user-summary").textContent = view.summary;
  const pending = $("user-pending");
  pending.textContent = view.pending || "";
  pending.hidden = !view.pending;

  const facts = $("user-facts");
  facts.replaceChildren();
  const addFact = (label, value) => facts.append(el("dt", label), el("dd", value));
  addFact("Rule", view.rule || "—");
  addFact("Published", `${view.published_segment || "—"} (${view.published_rule || "—"})`);
  addFact("By the rules", view.rules_segment || "—");
  addFact("Rules as of", fmtTime(view.as_of));
  addFact("Computed", fmtTime(view.computed_at));

  const ruleRows = view.rules.map((check) => {
    const row = el("tr", undefined, check.decisive ? "decisive" : "");
    row.dataset.segment = check.segment;
    const name = el("td");
    name.append(segmentBadge(check.segment));
    const when = el("td", check.when === null ? "fallback" : check.when, check.when === null ? "muted" : "when");
    if (check.description) when.title = check.description;
    const held = check.held === null ? "—" : (check.held ? "yes" : "no");
    row.append(el("td", check.priority, "num"), name, when, el("td", held));
    return row;
  });
  fillRows($("rules-table").tBodies[0], ruleRows, "No segments published.", 4);

  const profileRows = Object.entries(view.features || {}).map(([key, value]) => {
    const row = el("tr");
    row.append(el("th", key.replaceAll("_", " ")), el("td", fmtValue(key, value)));
    return row;
  });
  fillRows($("profile-table").tBodies[0], profileRows, "Not published yet: the next run computes the profile.", 2);

  const current = $("override-current");
  current.replaceChildren();
  if (view.override) {
    current.append(
      "Current override: ", segmentBadge(view.override.segment), " — “",
      el("span", view.override.reason, "override-reason"), "” by ",
      el("strong", view.override.created_by), view.override.expires_at
        ? `, expires ${fmtTime(view.override.expires_at)}` : ", no expiry",
    );
    if (!view.override.applies) {
      current.append(el("p", `Not applied: ${view.override.not_applied_reason}`, "ignored"));
    }
  } else {
    current.append(el("span", "No override: the rules decide.", "muted"));
  }
  $("override-clear").disabled = !view.override;
}

function renderHistory(history) {
  const periodRows = history.periods.map((period) => {
    const row = el("tr");
    const segment = el("td");
    segment.append(segmentBadge(period.segment));
    row.append(segment, el("td", period.rule || "—"), el("td", fmtTime(period.valid_from)),
      el("td", period.valid_to ? fmtTime(period.valid_to) : "now"));
    return row;
  });
  fillRows($("periods-table").tBodies[0], periodRows, "No published history yet.", 4);
  const eventRows = history.override_events.slice().reverse().map((event) => {
    const row = el("tr");
    row.append(el("td", fmtTime(event.at)), el("td", event.action), el("td", event.segment || "—"),
      el("td", event.reason || "—"), el("td", event.actor));
    return row;
  });
  fillRows($("events-table").tBodies[0], eventRows, "No override events.", 5);
}

async function saveOverride(event) {
  event.preventDefault();
  if (currentUserId === null) return;
  clearBanners();
  const expires = $("override-expires").value;
  const body = { segment: $("override-segment").value, reason: $("override-reason").value };
  if (expires) body.expires_at = new Date(expires).toISOString();
  try {
    await api("PUT", `/admin/api/users/${currentUserId}/segment`, body);
    await lookUp(currentUserId);
    showNotice(`Override saved for user ${currentUserId}; the next pipeline run publishes it.`);
    $("override-reason").value = "";
  } catch (error) {
    showError(`Override not saved: ${error.message}`);
  }
}

async function clearOverride() {
  if (currentUserId === null) return;
  clearBanners();
  try {
    await api("DELETE", `/admin/api/users/${currentUserId}/segment/override`);
    await lookUp(currentUserId);
    showNotice(`Override cleared for user ${currentUserId}.`);
  } catch (error) {
    showError(`Override not cleared: ${error.message}`);
  }
}

// ---- wiring ----------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearBanners();
    const token = $("token").value.trim();
    $("token").value = "";
    if (token) signIn(token);
  });
  $("sign-out").addEventListener("click", signOut);
  $("lookup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const userId = Number.parseInt($("lookup-user-id").value, 10);
    if (Number.isInteger(userId) && userId > 0) lookUp(userId);
    else showError("Enter a user id (a positive whole number).");
  });
  $("override-form").addEventListener("submit", saveOverride);
  $("override-clear").addEventListener("click", clearOverride);
  $("view-overview").addEventListener("click", () => showView("overview"));
  $("view-rules").addEventListener("click", () => showView("rules"));
  if (sessionStorage.getItem(TOKEN_KEY)) signIn(sessionStorage.getItem(TOKEN_KEY));
});
