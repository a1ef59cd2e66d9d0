// The console of `ipxescript serve`. Everything it shows comes from the JSON API with the operator's token
// (kept in sessionStorage) and is inserted as text: no value from the server is ever parsed as HTML.
"use strict";

const TOKEN_KEY = "ipxescript-api-token";
const MAX_ROWS = 200;
const POLL_MS = 3000;
const REFRESH_MS = 10000;

const $ = (id) => document.getElementById(id);

// --- small DOM helpers: strings become text nodes, always -------------------------------------------------
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key === "on") for (const [name, fn] of Object.entries(value)) node.addEventListener(name, fn);
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setText(id, value) {
  $(id).textContent = value === null || value === undefined || value === "" ? "–" : String(value);
}

function fillRows(tbody, rows, emptyText, columns) {
  tbody.replaceChildren(...(rows.length ? rows : [el("tr", { class: "empty" }, el("td", { colspan: columns }, emptyText))]));
}

// --- times: an ISO date with the zone in <time datetime>, the same readable, and how long ago ------------
function pad(n, width = 2) {
  return String(n).padStart(width, "0");
}

function zone(date) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function isoLocal(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:` +
    `${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}${zone(date)}`;
}

function ago(epochSeconds) {
  const seconds = Math.max(0, Math.round(Date.now() / 1000 - epochSeconds));
  if (seconds < 5) return "just now";
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

function timeCell(epochSeconds) {
  const date = new Date(epochSeconds * 1000);
  const iso = isoLocal(date);
  // the date and the time may go on two lines, each one whole
  const shown = [el("span", { class: "nowrap" }, iso.slice(0, 10)), " ", el("span", { class: "nowrap" }, iso.slice(11, 19))];
  return el("td", { class: "when" },
    el("time", { datetime: iso, title: `${iso} (UTC${zone(date)})`, "data-epoch": epochSeconds }, ...shown),
    " ", el("span", { class: "ago" }, ago(epochSeconds)));
}

function refreshAgo() {
  for (const node of document.querySelectorAll("time[data-epoch]")) {
    const label = node.parentNode.querySelector(".ago");
    if (label) label.textContent = ago(Number(node.dataset.epoch));
  }
}

// --- the API ---------------------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function headers(extra) {
  const sent = { Accept: "application/json", ...(extra || {}) };
  if (token()) sent.Authorization = "Bearer " + token();
  return sent;
}

async function api(path, method = "GET", body = undefined) {
  const options = { method, headers: headers(), cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch("/api/" + path, options);
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = { error: `${response.status} ${response.statusText}` };
  }
  if (!response.ok) {
    const error = new ApiError(response.status, (data && data.error) || String(response.status));
    if (response.status === 401) refused(error.message);
    throw error;
  }
  return data;
}

// --- state line ------------------------------------------------------------------------------------------
let running = false;
let streamAbort = null;

function setState(text, kind = "") {
  const node = $("state");
  node.textContent = text;
  node.className = "state " + kind;
}

function setMode(mode, text) {
  const badge = $("boots-mode");
  badge.textContent = text;
  badge.className = "badge " + mode;
}

function refused(message) {
  stop();
  setState(
    token() ? "The server refused this token: " + message
      : "Enter the API token to see clients, boots and assignments (STATE_DIR/api-token on the server).",
    "refused");
  setMode("", "no data");
}

// --- boots -----------------------------------------------------------------------------------------------
const seen = new Set();
let lastTime = 0;

function eventKey(e) {
  return [e.time, e.pid, e.client, e.stage, e.what, e.protocol].join("\u0000");
}

function outcomeClass(outcome) {
  return ["served", "refused", "error"].includes(outcome) ? "outcome-" + outcome : "";
}

function addBoots(events, fresh) {
  const tbody = $("boots").tBodies[0];
  const empty = tbody.querySelector("tr.empty");
  for (const e of events) {
    const key = eventKey(e);
    if (seen.has(key)) continue;
    seen.add(key);
    lastTime = Math.max(lastTime, e.time);
    if (empty && empty.parentNode) empty.remove();
    const row = el("tr", { class: fresh ? "new" : "" },
      timeCell(e.time),
      el("td", { class: "mono" }, e.client),
      el("td", { class: "mono" }, e.ip || ""),
      el("td", { class: "short" }, e.stage),
      el("td", { class: "short " + outcomeClass(e.outcome) }, e.outcome),
      el("td", { class: "mono-wrap wrap" }, e.what),
      el("td", { class: "wrap" }, e.reason),
      el("td", { class: "short" }, e.protocol));
    // newest first, in time order even when events of other server processes arrive late
    let before = null;
    for (const other of tbody.rows) {
      const t = other.querySelector("time");
      if (t && Number(t.dataset.epoch) < e.time) { before = other; break; }
    }
    tbody.insertBefore(row, before);
    updateClient(e);
  }
  while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(-1);
  if (fresh && events.length) scheduleAssignments();
}

// --- clients: the latest step of each ------------------------------------------------------------------
const clients = new Map();

function updateClient(e) {
  const known = clients.get(e.client);
  if (!known || known.time <= e.time) clients.set(e.client, e);
  scheduleClients();
}

let clientsTimer = null;
function scheduleClients() {
  if (clientsTimer === null) clientsTimer = setTimeout(() => { clientsTimer = null; drawClients(); }, 100);
}

function isMac(text) {
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(text);
}

function drawClients() {
  const rows = [...clients.values()].sort((a, b) => b.time - a.time).slice(0, MAX_ROWS).map((e) =>
    el("tr", {},
      el("td", { class: "mono" }, e.client),
      el("td", { class: "mono" }, e.ip || ""),
      el("td", { class: "wrap" }, `${e.stage}: ${e.what}`),
      timeCell(e.time),
      el("td", {}, isMac(e.client)
        ? el("button", { type: "button", class: "explain", on: { click: () => explainFor(e.client, e.ip) } }, "Explain")
        : "")));
  fillRows($("clients").tBodies[0], rows, "no client yet", 5);
}

// --- live boots: server-sent events over fetch (an EventSource cannot send the token), else polling ----
async function stream() {
  streamAbort = new AbortController();
  const response = await fetch(`/api/events?after=${lastTime}`, {
    headers: headers({ Accept: "text/event-stream" }), cache: "no-store", credentials: "omit",
    signal: streamAbort.signal,
  });
  if (response.status === 401) {
    refused("401");
    return false;
  }
  if (!response.ok || !response.body) throw new ApiError(response.status, "no event stream");
  setMode("live", "live");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return true; // the server ended it (after a while, or stopping): open the next
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart());
      if (data.length) addBoots([JSON.parse(data.join("\n"))], true);
    }
  }
}

async function poll() {
  addBoots(await api("log?limit=100"), true);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function live() {
  while (running) {
    try {
      if (await stream()) continue;
    } catch (error) {
      if (!running) return;
    }
    if (!running) return;
    // the stream dropped: poll for a while, then try the stream again
    setMode("polling", "polling every " + POLL_MS / 1000 + " s");
    for (let round = 0; round < 4 && running; round++) {
      try {
        await poll();
      } catch (error) {
        if (error.status === 401) return;
      }
      await sleep(POLL_MS);
    }
  }
}

// --- server, groups, lint --------------------------------------------------------------------------------
let shownServer = "";
async function loadServer() {
  const server = await api("server");
  const seenNow = JSON.stringify(server);
  if (seenNow === shownServer) return;
  shownServer = seenNow;
  setText("server-root", server.root);
  setText("server-boot-url", server.boot_url);
  setText("server-default", server.default_target);
  const groups = server.groups.map((g) => {
    const selectors = Object.entries(g.selector);
    return el("tr", {},
      el("td", { class: "wrap" }, g.name),
      el("td", { class: "mono-wrap wrap" }, selectors.length ? selectors.map(([k, v]) => `${k} = ${v}`).join(", ") : "(none: matches all)"),
      el("td", { class: "mono-wrap wrap" }, g.target));
  });
  fillRows($("groups").tBodies[0], groups, "no group: every client without an assignment gets the default", 3);
  const lint = server.lint_errors.map((line) => el("li", { class: "mono" }, line));
  $("lint").replaceChildren(...(lint.length ? lint : [el("li", { class: "empty" }, "none")]));
}

// --- assignments -----------------------------------------------------------------------------------------
let assignmentsTimer = null;
function scheduleAssignments() {
  if (assignmentsTimer === null) {
    assignmentsTimer = setTimeout(() => { assignmentsTimer = null; loadAssignments().catch(() => {}); }, 300);
  }
}

let shownAssignments = "";
async function loadAssignments() {
  const items = await api("assignments");
  const seenNow = JSON.stringify(items);
  if (seenNow === shownAssignments) return; // unchanged: keep the rows (and the button under the pointer)
  shownAssignments = seenNow;
  const rows = items.map((a) => el("tr", {},
    el("td", { class: "mono" }, a.client),
    el("td", {}, a.kind),
    el("td", { class: "mono-wrap wrap" }, a.target),
    timeCell(a.created),
    el("td", {}, el("button", {
      type: "button", class: "delete", "data-client": a.client,
      on: { click: () => unassign(a.client) },
    }, "Delete"))));
  fillRows($("assignments").tBodies[0], rows, "none", 5);
}

function showError(id, message) {
  const node = $(id);
  node.textContent = message || "";
  node.hidden = !message;
}

async function assign(event) {
  event.preventDefault();
  showError("assign-error", "");
  const body = { client: $("assign-client").value.trim(), target: $("assign-target").value.trim(), once: $("assign-once").checked };
  try {
    await api("assignments", "POST", body);
    $("assign-client").value = "";
    $("assign-target").value = "";
    $("assign-once").checked = false;
  } catch (error) {
    showError("assign-error", "Not assigned: " + error.message);
  }
  await loadAssignments().catch(() => {});
}

async function unassign(client) {
  showError("assign-error", "");
  try {
    await api("assignments/" + encodeURIComponent(client), "DELETE");
  } catch (error) {
    showError("assign-error", "Not removed: " + error.message);
  }
  await loadAssignments().catch(() => {});
}

// --- what a client would get, and why --------------------------------------------------------------------
function ruleText(x) {
  if (x.rule === "once") return `once assignment for ${x.client}: the next boot takes it (looking here did not)`;
  if (x.rule === "static") return `static assignment: every boot until it is removed`;
  if (x.rule === "group") {
    const selectors = Object.entries(x.selector || {}).map(([k, v]) => `${k} = ${v}`).join(", ");
    return `group ${x.group}, matched by ${selectors || "no selector (matches all)"}`;
  }
  return "the default target: no assignment, no group matched";
}

function offerText(offer) {
  return offer ? `${offer.boot_file} (${offer.reason})` : "nothing";
}

async function explain(event) {
  if (event) event.preventDefault();
  showError("explain-error", "");
  $("explain-result").hidden = true; // until this answer is in
  const query = new URLSearchParams({ client: $("explain-client").value.trim(), arch: $("explain-arch").value });
  const ip = $("explain-ip").value.trim();
  if (ip) query.set("ip", ip);
  try {
    const x = await api("explain?" + query);
    setText("explain-target", x.target);
    setText("explain-rule", ruleText(x));
    setText("explain-reason", x.reason);
    setText("explain-offer", offerText(x.offer) + (x.dhcp === "off" ? " (DHCP is off here: another server must send it)" : ""));
    setText("explain-ipxe-offer", offerText(x.ipxe_offer));
    setText("explain-served", x.served);
    $("explain-script").textContent = x.script;
    $("explain-result").hidden = false;
    $("explain-result").dataset.rule = x.rule;
  } catch (error) {
    $("explain-result").hidden = true;
    showError("explain-error", error.message);
  }
}

function explainFor(client, ip) {
  $("explain-client").value = client;
  $("explain-ip").value = ip || "";
  explain();
}

// --- start and stop --------------------------------------------------------------------------------------
function stop() {
  running = false;
  if (streamAbort) streamAbort.abort();
}

function clearData() {
  shownAssignments = shownServer = "";
  seen.clear();
  clients.clear();
  lastTime = 0;
  fillRows($("boots").tBodies[0], [], "no boot yet", 8);
  fillRows($("clients").tBodies[0], [], "no client yet", 5);
  fillRows($("assignments").tBodies[0], [], "none", 5);
  $("explain-result").hidden = true;
  for (const id of ["server-root", "server-boot-url", "server-default"]) setText(id, "");
}

async function start() {
  stop();
  try {
    await loadServer();
  } catch (error) {
    if (error.status !== 401) setState("The server did not answer: " + error.message, "refused");
    return;
  }
  running = true;
  setState(token() ? "Token accepted." : "Reads are open on this server; changes need the token.");
  loadAssignments().catch(() => {});
  api("clients").then((items) => { for (const e of items) updateClient(e); }).catch(() => {});
  live();
}

document.addEventListener("DOMContentLoaded", () => {
  setText("server-zone", `local time of this browser, UTC${zone(new Date())}`);
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    $("token").value = "";
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    clearData();
    start();
  });
  $("token-forget").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    clearData();
    refused("");
  });
  $("assign-form").addEventListener("submit", assign);
  $("explain-form").addEventListener("submit", explain);
  setInterval(refreshAgo, 5000);
  setInterval(() => { if (running) { loadAssignments().catch(() => {}); loadServer().catch(() => {}); } }, REFRESH_MS);
  start();
});
