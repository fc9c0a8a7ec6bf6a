// Pulse segment console. Plain JS, no dependencies. Every value from the API is
// written with textContent (never innerHTML), so player data renders as text.
"use strict";

// The console knows no segment name: every list (sizes, chart, badges, the override
// picker, the rules) comes from the published catalogue, GET /admin/api/segments/catalogue.
const TOKEN_KEY = "pulse.adminToken";
const LANGUAGE_KEY = "pulse.consoleLanguage";
const SVG_NS = "http://www.w3.org/2000/svg";
// The console's languages and the locale each formats dates and numbers in. Each has a
// message catalogue beside this file, messages.<language>.json, with the same keys.
const LOCALES = { ko: "ko-KR", en: "en" };

const $ = (id) => document.getElementById(id);
let currentUserId = null;
let catalogue = [];

// What the API last answered, so a change of language redraws the page without asking
// the API again.
const shown = {
  summary: null, published: null, sizes: null, changes: null, view: null, history: null,
  unpublished: false, banner: null,
};

// ---- messages --------------------------------------------------------------

// Every text of the console's own is a key of the message catalogues: static HTML names
// it in data-i18n (data-i18n-placeholder, data-i18n-aria-label); code passes the key,
// written out, to t, tNodes, showError or showNotice, so tests can check each key exists. A key the
// chosen catalogue lacks, or a {placeholder} left unfilled, shows as "[missing: key]" and
// is recorded in pulseConsole.missingKeys().
const i18n = {
  language: "en",
  catalogues: {},
  missing: new Set(),
  dateTime: null,
  date: null,
  number: null,
  percent: null,
};

function template(key) {
  const messages = i18n.catalogues[i18n.language] || {};
  if (!Object.hasOwn(messages, key)) {
    i18n.missing.add(`${i18n.language}:${key}`);
    return `[missing: ${key}]`;
  }
  return messages[key];
}

// The message as a list of strings and nodes: a parameter may be a DOM node (a badge),
// or a function, called now, so a message kept for a redraw is worded in the language
// of the moment.
function fill(key, params) {
  return template(key).split(/(\{\w+\})/).filter((part) => part !== "").map((part) => {
    const name = /^\{(\w+)\}$/.exec(part);
    if (!name) return part;
    if (!params || !Object.hasOwn(params, name[1])) {
      i18n.missing.add(`${i18n.language}:${key}:${part}`);
      return part;
    }
    const value = params[name[1]];
    const resolved = typeof value === "function" ? value() : value;
    return resolved instanceof Node ? resolved : String(resolved);
  });
}

function joined(parts) {
  return parts.map((part) => (part instanceof Node ? part.textContent : part)).join("");
}

function t(key, params) {
  return joined(fill(key, params));
}

function tNodes(key, params) {
  return fill(key, params);
}

function translateStatic() {
  document.querySelectorAll("[data-i18n]").forEach((node) => {
    node.textContent = template(node.dataset.i18n);
  });
  ["placeholder", "aria-label", "title"].forEach((attribute) => {
    document.querySelectorAll(`[data-i18n-${attribute}]`).forEach((node) => {
      node.setAttribute(attribute, template(node.getAttribute(`data-i18n-${attribute}`)));
    });
  });
}

async function loadCatalogues() {
  const pairs = await Promise.all(Object.keys(LOCALES).map(async (language) => {
    const response = await fetch(`/admin/static/messages.${language}.json`);
    if (!response.ok) throw new Error(`messages.${language}.json: HTTP ${response.status}`);
    return [language, await response.json()];
  }));
  i18n.catalogues = Object.fromEntries(pairs);
  // A key one catalogue has and another lacks is missing there, whichever is shown.
  const languages = Object.keys(i18n.catalogues);
  const allKeys = new Set(languages.flatMap((language) => Object.keys(i18n.catalogues[language])));
  languages.forEach((language) => allKeys.forEach((key) => {
    if (!Object.hasOwn(i18n.catalogues[language], key)) i18n.missing.add(`${language}:${key}`);
  }));
}

// The stored choice, else the first of the browser's preferred languages the console
// speaks, else English.
function preferredLanguage() {
  const stored = localStorage.getItem(LANGUAGE_KEY);
  if (stored && Object.hasOwn(LOCALES, stored)) return stored;
  const preferred = navigator.languages && navigator.languages.length
    ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    const primary = String(tag || "").toLowerCase().split("-")[0];
    if (Object.hasOwn(LOCALES, primary)) return primary;
  }
  return "en";
}

function setLanguage(language) {
  i18n.language = language;
  const locale = LOCALES[language];
  i18n.dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  i18n.date = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });
  i18n.number = new Intl.NumberFormat(locale);
  i18n.percent = new Intl.NumberFormat(locale, {
    style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1,
  });
  document.documentElement.lang = language;
  document.querySelectorAll("[data-language]").forEach((button) => {
    button.setAttribute("aria-pressed", String(button.dataset.language === language));
  });
  translateStatic();
  redraw();
}

function chooseLanguage(language) {
  localStorage.setItem(LANGUAGE_KEY, language);
  setLanguage(language);
}

function redraw() {
  renderBanner();
  renderFreshness();
  if (shown.summary) renderSummary(shown.summary);
  if (shown.published) renderCatalogue(shown.published);
  if (shown.sizes) renderChart(shown.sizes.points);
  if (shown.changes) renderChanges(shown.changes);
  if (shown.view) renderUser(shown.view);
  if (shown.history) renderHistory(shown.history);
}

// What tests (and a curious admin, from the devtools) read.
window.pulseConsole = Object.freeze({
  missingKeys: () => [...i18n.missing].sort(),
  language: () => i18n.language,
});

// ---- API -------------------------------------------------------------------

// `detail` is the API's own message (4xx/5xx `detail`), shown as sent; null when the
// API said nothing (no connection, a refused token, a body that is not JSON).
class ApiError extends Error {
  constructor(status, detail) { super(detail || `HTTP ${status}`); this.status = status; this.detail = detail; }
}

function describeDetail(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((item) => {
      const where = (item.loc || []).filter((part) => part !== "body").join(".");
      return where ? `${where}: ${item.msg}` : item.msg;
    }).join("; ");
  }
  return null;
}

// The text that says what went wrong, in the language shown when it is called.
function errorText(error) {
  if (error.status === 0) return t("error.unreachable");
  if (error.status === 401) return t("error.tokenRefused");
  if (error.detail) return error.detail;
  return t("error.http", { status: error.status });
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
    throw new ApiError(0, null);
  }
  if (response.status === 401) {
    signOut();
    throw new ApiError(401, null);
  }
  const isJson = (response.headers.get("content-type") || "").includes("application/json");
  const payload = isJson ? await response.json() : null;
  if (!response.ok) {
    throw new ApiError(response.status, payload && payload.detail !== undefined
      ? describeDetail(payload.detail) : null);
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
  return Number.isNaN(date.getTime()) ? String(value) : i18n.dateTime.format(date);
}

function fmtDate(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : i18n.date.format(date);
}

function fmtNumber(value) {
  if (value === null || value === undefined) return "—";
  const number = Number(value);
  return Number.isFinite(number) ? i18n.number.format(number) : String(value);
}

function fmtValue(key, value) {
  if (value === null || value === undefined) return "—";
  if (/_at$/.test(key)) return fmtTime(value);
  if (typeof value === "number" || /^-?\d+(\.\d+)?$/.test(String(value))) return fmtNumber(value);
  return String(value);
}

// The catalogue's description in the language shown: `description_ko` in Korean when the
// entry has one, else `description`. Returns [text, language of the text].
function describe(entry) {
  if (i18n.language === "ko" && entry.description_ko) return [entry.description_ko, "ko"];
  return [entry.description || "", "en"];
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

// A banner is kept as its message key and parameters, so it follows a change of language.
function showError(key, params) {
  shown.banner = { kind: "error", key, params };
  renderBanner();
}

function showNotice(key, params) {
  shown.banner = { kind: "notice", key, params };
  renderBanner();
}

function clearBanners() {
  shown.banner = null;
  renderBanner();
}

function renderBanner() {
  const banner = shown.banner;
  $("error").hidden = !banner || banner.kind !== "error";
  $("notice").hidden = !banner || banner.kind !== "notice";
  if (banner) $(banner.kind).textContent = joined(fill(banner.key, banner.params));
}

// ---- sign in / out ---------------------------------------------------------

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  $("app").hidden = true;
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  shown.summary = null;
  shown.unpublished = false;
  renderFreshness();
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    await loadOverview();
  } catch (error) {
    if (error.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      showError("signIn.notAdmin");
      return;
    }
    if (error.status !== 503) {
      showError("error.signIn", { detail: () => errorText(error) });
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
      shown.unpublished = true;
      renderFreshness();
      showError("error.notPublished", { detail: () => errorText(error) });
    }
    throw error;
  }
  const [published, sizes, changes] = await Promise.all([
    api("GET", "/admin/api/segments/catalogue"),
    api("GET", "/admin/api/segments/sizes?points=60"),
    api("GET", "/admin/api/segments/changes/recent?limit=25"),
  ]);
  catalogue = published.entries;
  Object.assign(shown, { summary, published, sizes, changes, unpublished: false });
  renderFreshness();
  renderSummary(summary);
  renderCatalogue(published);
  renderOverridePicker();
  renderChart(sizes.points);
  renderChanges(changes);
}

function renderFreshness() {
  const freshness = $("freshness");
  freshness.replaceChildren();
  if (shown.unpublished) {
    freshness.textContent = t("freshness.notPublished");
  } else if (shown.summary) {
    const fresh = shown.summary.is_fresh;
    const state = el("span", fresh ? t("freshness.fresh") : t("freshness.stale"), fresh ? "fresh" : "stale");
    freshness.append(...tNodes("freshness.computed", { time: fmtTime(shown.summary.computed_at), state }));
  }
}

function renderCatalogue(published) {
  const rows = published.entries.map((entry) => {
    const row = el("tr");
    row.dataset.segment = entry.name;
    const name = el("td");
    name.append(segmentBadge(entry.name));
    const when = el("td", entry.when === null ? t("rules.fallbackLong") : entry.when,
      entry.when === null ? "muted" : "when");
    const [text, language] = describe(entry);
    const description = el("td", text, "description");
    description.lang = language;
    row.append(el("td", entry.priority, "num"), name, when, description,
      el("td", fmtNumber(entry.users), "num"));
    return row;
  });
  fillRows($("catalogue-table").tBodies[0], rows, t("empty.noSegments"), 5);
  $("catalogue-meta").textContent = t("rules.meta", {
    users: fmtNumber(published.total_users),
    asOf: fmtTime(published.as_of),
    computedAt: fmtTime(published.computed_at),
  });
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
  const rows = summary.segments.map((entry) => {
    const row = el("tr");
    const name = el("td");
    name.append(segmentBadge(entry.segment));
    const share = summary.total_users ? entry.users / summary.total_users : 0;
    const exportCell = el("td");
    const button = el("button", t("segments.csv"), "small-button");
    button.type = "button";
    button.dataset.segment = entry.segment;
    button.addEventListener("click", () => exportSegment(entry.segment));
    exportCell.append(button);
    row.append(name, el("td", fmtNumber(entry.users), "num"), el("td", i18n.percent.format(share), "num"), exportCell);
    return row;
  });
  fillRows($("segment-table").tBodies[0], rows, t("empty.noSegments"), 4);
  const meta = [t("segments.meta", {
    users: fmtNumber(summary.total_users),
    asOf: fmtTime(summary.as_of),
    overrides: fmtNumber(summary.live_overrides),
  })];
  if (summary.ignored_overrides) {
    meta.push(t("segments.ignoredOverrides", { count: fmtNumber(summary.ignored_overrides) }));
  }
  $("segment-meta").textContent = meta.join(" ");
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
    chart.append(el("p", t("chart.empty"), "muted"));
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
    root.append(svg("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end", class: "tick" }, fmtNumber(value)));
  });
  root.append(svg("text", { x: left, y: height - 8, class: "tick", id: "chart-first-date" }, fmtDate(minTime)));
  root.append(svg("text", { x: width - right, y: height - 8, "text-anchor": "end", class: "tick", id: "chart-last-date" }, fmtDate(maxTime)));

  names.forEach((segment) => {
    const color = segmentColor(segment);
    const coordinates = points.map((point, index) => [x(times[index]), y(point.sizes[segment] || 0)]);
    const path = coordinates.map(([px, py], index) => `${index ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
    root.append(svg("path", { d: path, stroke: color, class: "series", "data-segment": segment }));
    coordinates.forEach(([px, py], index) => {
      const dot = svg("circle", { cx: px.toFixed(1), cy: py.toFixed(1), r: 3, fill: color });
      dot.append(svg("title", {}, t("chart.point", {
        segment, users: fmtNumber(points[index].sizes[segment] || 0), time: fmtTime(points[index].at),
      })));
      root.append(dot);
    });
    const item = el("li");
    item.dataset.segment = segment;
    item.append(paint(el("span", "", "swatch"), segment), segment);
    legend.append(item);
  });
  chart.append(root);
  if (points.length === 1) chart.append(el("p", t("chart.oneSnapshot"), "muted small"));
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
    from.append(change.from_segment ? segmentBadge(change.from_segment) : el("span", t("changes.firstSeen"), "muted"));
    const to = el("td");
    to.append(segmentBadge(change.to_segment));
    row.append(el("td", fmtTime(change.changed_at)), userCell, from, to);
    return row;
  });
  fillRows($("changes-table").tBodies[0], rows, t("empty.noTransitions"), 4);
}

async function exportSegment(segment) {
  clearBanners();
  const response = await fetch(`/admin/api/segments/${encodeURIComponent(segment)}/export`, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` },
  });
  if (!response.ok) {
    const payload = await response.json().catch(() => null);
    const error = new ApiError(response.status, payload ? describeDetail(payload.detail) : null);
    showError("export.failed", { segment, detail: () => errorText(error) });
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
    Object.assign(shown, { view, history });
    renderUser(view);
    renderHistory(history);
    $("user-panel").hidden = false;
  } catch (error) {
    $("user-panel").hidden = true;
    currentUserId = null;
    Object.assign(shown, { view: null, history: null });
    if (error.status === 404) showError("lookup.noUser", { id: userId });
    else showError("lookup.failed", { id: userId, detail: () => errorText(error) });
  }
}

// Why the player is in the segment, in one sentence, told from the API's structured
// answer (the same cases as the API's English `summary`, which is not shown).
function userSummary(view) {
  if (view.is_override && view.override) {
    return t("user.summary.override", { segment: view.override.segment });
  }
  if (view.features === null) return t("user.summary.notSegmented");
  const why = (check) => (check.is_fallback || check.when === null
    ? t("user.summary.fallback", { segment: check.segment })
    : t("user.summary.firstRule", { segment: check.segment, when: check.when }));
  if (view.published_rule === "override") {
    const byRules = view.rules.find((check) => check.segment === view.rules_segment);
    const ended = t("user.summary.overrideEnded");
    return byRules ? `${ended} ${why(byRules)}` : ended;
  }
  const decided = view.rules.find((check) => check.rule === view.published_rule);
  return decided
    ? why(decided)
    : t("user.summary.byRule", { segment: view.published_segment, rule: view.published_rule });
}

// What the next pipeline run will change; the API sets `pending` only when there is something.
function userPending(view) {
  if (!view.pending) return null;
  if (view.is_override) return t("user.pending.overrideSet");
  if (view.published_rule === "override") return t("user.pending.overrideEnded");
  if (view.features === null) return t("user.pending.joined");
  return view.pending;
}

function renderUser(view) {
  $("user-title").textContent = t("user.title", { id: view.user_id });
  setBadge($("user-segment"), view.segment, t("user.notSegmented"));
  $("user-override-flag").hidden = !view.is_override;
  $("user-summary").textContent = userSummary(view);
  const pending = $("user-pending");
  const pendingText = userPending(view);
  pending.textContent = pendingText || "";
  pending.hidden = !pendingText;

  const facts = $("user-facts");
  facts.replaceChildren();
  const addFact = (label, value) => facts.append(el("dt", label), el("dd", value));
  addFact(t("user.fact.rule"), view.rule || "—");
  addFact(t("user.fact.published"), `${view.published_segment || "—"} (${view.published_rule || "—"})`);
  addFact(t("user.fact.byRules"), view.rules_segment || "—");
  addFact(t("user.fact.asOf"), fmtTime(view.as_of));
  addFact(t("user.fact.computed"), fmtTime(view.computed_at));

  const ruleRows = view.rules.map((check) => {
    const row = el("tr", undefined, check.decisive ? "decisive" : "");
    row.dataset.segment = check.segment;
    const name = el("td");
    name.append(segmentBadge(check.segment));
    const when = el("td", check.when === null ? t("rules.fallback") : check.when, check.when === null ? "muted" : "when");
    const [description] = describe(check);
    if (description) when.title = description;
    const held = check.held === null ? "—" : (check.held ? t("rules.holds") : t("rules.doesNotHold"));
    row.append(el("td", check.priority, "num"), name, when, el("td", held));
    return row;
  });
  fillRows($("rules-table").tBodies[0], ruleRows, t("empty.noSegments"), 4);

  // Profile columns keep their names: they are what the catalogue's `when` conditions read.
  const profileRows = Object.entries(view.features || {}).map(([key, value]) => {
    const row = el("tr");
    row.append(el("th", key.replaceAll("_", " ")), el("td", fmtValue(key, value)));
    return row;
  });
  fillRows($("profile-table").tBodies[0], profileRows, t("empty.profileNotPublished"), 2);

  const current = $("override-current");
  current.replaceChildren();
  const override = view.override;
  if (override) {
    current.append(...tNodes("override.current", {
      segment: segmentBadge(override.segment),
      reason: el("span", override.reason, "override-reason"),
      by: el("strong", override.created_by),
    }), " ", override.expires_at
      ? t("override.expires", { time: fmtTime(override.expires_at) }) : t("override.noExpiry"));
    if (!override.applies) {
      current.append(el("p", t("override.notApplied", {
        segment: override.segment, names: catalogue.map((entry) => entry.name).join(", "),
      }), "ignored"));
    }
  } else {
    current.append(el("span", t("override.none"), "muted"));
  }
  $("override-clear").disabled = !override;
}

function overrideAction(action) {
  if (action === "set") return t("history.action.set");
  if (action === "clear") return t("history.action.clear");
  return action;
}

function renderHistory(history) {
  const periodRows = history.periods.map((period) => {
    const row = el("tr");
    const segment = el("td");
    segment.append(segmentBadge(period.segment));
    row.append(segment, el("td", period.rule || "—"), el("td", fmtTime(period.valid_from)),
      el("td", period.valid_to ? fmtTime(period.valid_to) : t("history.now")));
    return row;
  });
  fillRows($("periods-table").tBodies[0], periodRows, t("empty.noHistory"), 4);
  const eventRows = history.override_events.slice().reverse().map((event) => {
    const row = el("tr");
    row.append(el("td", fmtTime(event.at)), el("td", overrideAction(event.action)),
      el("td", event.segment || "—"), el("td", event.reason || "—"), el("td", event.actor));
    return row;
  });
  fillRows($("events-table").tBodies[0], eventRows, t("empty.noOverrideEvents"), 5);
}

async function saveOverride(event) {
  event.preventDefault();
  if (currentUserId === null) return;
  clearBanners();
  const userId = currentUserId;
  const expires = $("override-expires").value;
  const body = { segment: $("override-segment").value, reason: $("override-reason").value };
  if (expires) body.expires_at = new Date(expires).toISOString();
  try {
    await api("PUT", `/admin/api/users/${userId}/segment`, body);
    await lookUp(userId);
    showNotice("override.saved", { id: userId });
    $("override-reason").value = "";
  } catch (error) {
    showError("override.notSaved", { detail: () => errorText(error) });
  }
}

async function clearOverride() {
  if (currentUserId === null) return;
  clearBanners();
  const userId = currentUserId;
  try {
    await api("DELETE", `/admin/api/users/${userId}/segment/override`);
    await lookUp(userId);
    showNotice("override.cleared", { id: userId });
  } catch (error) {
    showError("override.notCleared", { detail: () => errorText(error) });
  }
}

// ---- wiring ----------------------------------------------------------------

function wire() {
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
    else showError("lookup.invalidId");
  });
  $("override-form").addEventListener("submit", saveOverride);
  $("override-clear").addEventListener("click", clearOverride);
  $("view-overview").addEventListener("click", () => showView("overview"));
  $("view-rules").addEventListener("click", () => showView("rules"));
  document.querySelectorAll("[data-language]").forEach((button) => {
    button.addEventListener("click", () => chooseLanguage(button.dataset.language));
  });
}

document.addEventListener("DOMContentLoaded", async () => {
  wire();
  try {
    await loadCatalogues();
  } catch (error) {
    // Without its catalogues the console has no words of its own: say so in both languages.
    const banner = $("error");
    banner.textContent = `콘솔 메시지를 불러오지 못했습니다 / The console's messages did not load: ${error.message}`;
    banner.hidden = false;
    return;
  }
  setLanguage(preferredLanguage());
  document.body.classList.add("ready");
  if (sessionStorage.getItem(TOKEN_KEY)) signIn(sessionStorage.getItem(TOKEN_KEY));
});
