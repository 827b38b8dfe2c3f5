// The engine's browser console: reads /api/* and the /api/events stream of this same origin, and
// changes trading state through the admin API (POST /control) with the token the operator types.
// The token is kept in this tab's memory, or its sessionStorage when asked to: never sent
// anywhere but the engine's own /control, never logged.

const TOKEN_KEY = "engine-console-admin-token";
const MAX_ROWS = 500;

const state = {
  overview: null,
  executions: new Map(),
  scopes: [],
  namespaces: [],
  strategies: new Set(),
  token: sessionStorage.getItem(TOKEN_KEY),
  latencyView: null,
  latencyPoints: -1,
};

/** An element with attributes and children; text always goes in as text, never as markup. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) setAttribute(node, name, value);
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** `className`, an `on…` listener, or a plain attribute (`true`: present, empty). */
function setAttribute(node, name, value) {
  if (value === undefined || value === null || value === false) return;
  if (name === "className") node.className = value;
  else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
  else node.setAttribute(name, value === true ? "" : String(value));
}

const $ = (id) => document.getElementById(id);
const fmt = (value, digits = 2) =>
  value === null || value === undefined
    ? "—"
    : Number(value).toLocaleString("en-IN", {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
const signed = (value) =>
  el("span", { className: value > 0 ? "pos" : value < 0 ? "neg" : "" }, fmt(value));
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString("en-GB", { hour12: false }) : "—");

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

// ---- blotter ---------------------------------------------------------------------------------

function rowKey(row) {
  return `${row.signal_id}\u0000${row.namespace}`;
}

function upsertExecution(row) {
  const key = rowKey(row);
  const known = state.executions.get(key);
  if (known && known.seq >= row.seq) return false;
  state.executions.set(key, row);
  if (state.executions.size > MAX_ROWS) {
    const oldest = [...state.executions.values()].sort((a, b) => a.seq - b.seq)[0];
    state.executions.delete(rowKey(oldest));
  }
  noteStrategy(row.strategy_id);
  addOption($("filter-namespace"), row.namespace);
  return true;
}

function noteStrategy(strategyId) {
  if (state.strategies.has(strategyId)) return;
  state.strategies.add(strategyId);
  addOption($("filter-strategy"), strategyId);
  renderScopes();
}

function addOption(select, value) {
  if ([...select.options].some((option) => option.value === value)) return;
  select.append(el("option", { value }, value));
}

function renderBlotter(freshKey) {
  const strategy = $("filter-strategy").value;
  const namespace = $("filter-namespace").value;
  const outcome = $("filter-state").value;
  const rows = [...state.executions.values()]
    .filter(
      (row) =>
        (!strategy || row.strategy_id === strategy) &&
        (!namespace || row.namespace === namespace) &&
        (!outcome || row.state === outcome),
    )
    .sort((a, b) => b.seq - a.seq);
  $("blotter").replaceChildren(
    ...rows.map((row) =>
      el(
        "tr",
        {
          className: rowKey(row) === freshKey ? "fresh" : "",
          "data-signal": row.signal_id,
          "data-namespace": row.namespace,
          "data-strategy": row.strategy_id,
          "data-state": row.state,
          "data-error-code": row.error_code,
        },
        el("td", {}, time(row.at)),
        el("td", {}, row.strategy_id),
        el("td", {}, row.namespace),
        el("td", { className: "num" }, row.instrument_token),
        el("td", { className: `side-${row.side}` }, row.side),
        el("td", { className: `state state-${row.state}` }, row.state.replace("_", " ")),
        el("td", { className: "num" }, `${row.filled_quantity} / ${row.quantity}`),
        el("td", { className: "num" }, fmt(row.price)),
        el("td", { className: "num" }, fmt(row.fees)),
        el("td", { className: "num" }, fmt(row.latency_ms, 1)),
        el(
          "td",
          { className: "wrap", title: row.error_message ?? "" },
          row.state === "failed" ? `${row.error_code}: ${row.error_message}` : (row.order_id ?? ""),
        ),
        el("td", { className: "muted", title: row.signal_id }, `…${row.signal_id.slice(-8)}`),
      ),
    ),
  );
  $("blotter-count").textContent = `(${rows.length} shown of ${state.executions.size})`;
}

// ---- trading state and namespaces ----------------------------------------------------------

function scopeKey(scope, namespace, strategyId) {
  if (scope === "global") return "global";
  if (scope === "namespace") return `namespace:${namespace}`;
  return namespace ? `strategy:${strategyId}@${namespace}` : `strategy:${strategyId}`;
}

function scopeRows() {
  const rows = [{ scope: "global", label: "everything" }];
  for (const ns of state.namespaces) {
    rows.push({ scope: "namespace", namespace: ns.namespace, label: `namespace ${ns.namespace}` });
  }
  const strategies = new Set(state.strategies);
  for (const control of state.scopes) {
    if (control.scope === "strategy" && !control.namespace) strategies.add(control.strategy_id);
  }
  for (const strategyId of [...strategies].sort()) {
    rows.push({ scope: "strategy", strategy_id: strategyId, label: `strategy ${strategyId}` });
  }
  // Strategy-on-a-namespace scopes exist only when someone set one (the CLI or the API).
  for (const control of state.scopes) {
    if (control.scope === "strategy" && control.namespace) {
      rows.push({
        scope: "strategy",
        strategy_id: control.strategy_id,
        namespace: control.namespace,
        label: `strategy ${control.strategy_id} on ${control.namespace}`,
      });
    }
  }
  return rows;
}

function renderScopes() {
  const writable = Boolean(state.overview?.admin_writable);
  const byKey = new Map(state.scopes.map((control) => [control.key, control]));
  $("scopes").replaceChildren(
    ...scopeRows().map((row) => {
      const control = byKey.get(scopeKey(row.scope, row.namespace, row.strategy_id));
      const current = control && !control.expired ? control.state : "ACTIVE";
      const button = (target, label, className) =>
        el(
          "button",
          {
            type: "button",
            className,
            disabled: !writable,
            title: writable ? "" : "read-only: the engine has no admin token",
            "data-action": target,
            "data-scope": row.scope,
            "data-namespace": row.namespace,
            "data-strategy": row.strategy_id,
            onclick: () => askControl(row, target),
          },
          label,
        );
      return el(
        "tr",
        { "data-scope-key": scopeKey(row.scope, row.namespace, row.strategy_id) },
        el("td", {}, row.label),
        el("td", { className: `state state-${current}`, "data-testid": "scope-state" }, current),
        el("td", { className: "wrap" }, control?.reason ?? ""),
        el("td", {}, control?.operator ?? ""),
        el("td", {}, control ? time(control.ts) : ""),
        el(
          "td",
          {},
          el(
            "div",
            { className: "actions" },
            button("HALTED", "Halt", "halt"),
            button("REDUCING", "Reduce", "reduce"),
            button("ACTIVE", "Resume", "resume"),
          ),
        ),
      );
    }),
  );
}

function renderNamespaces() {
  $("namespaces").replaceChildren(
    ...state.namespaces.map((ns) => {
      const budget = ns.budget
        ? `${ns.budget.in_use.second}/${ns.budget.limits.perSecond} · ${ns.budget.in_use.minute}/${ns.budget.limits.perMinute} · ${ns.budget.in_use.day}/${ns.budget.limits.perDay}`
        : "no shared budget (simulated)";
      return el(
        "tr",
        { "data-namespace": ns.namespace },
        el("td", {}, ns.namespace),
        el(
          "td",
          { className: `health-${ns.health.status}` },
          ns.health.status === "ready" ? "ready" : `unavailable: ${ns.health.reason}`,
        ),
        el("td", { className: "num" }, ns.open_orders),
        el("td", {}, budget),
      );
    }),
  );
}

async function loadNamespaces() {
  const answer = await getJson("/api/namespaces");
  state.namespaces = answer.namespaces;
  state.scopes = answer.scopes;
  for (const ns of answer.namespaces) addOption($("filter-namespace"), ns.namespace);
  renderNamespaces();
  renderScopes();
}

// ---- changing trading state -------------------------------------------------------------------

let pending = null;

function askControl(row, target) {
  pending = { row, target };
  const verb = { HALTED: "Halt", REDUCING: "Reduce only", ACTIVE: "Resume" }[target];
  $("control-title").textContent = `${verb}: ${row.label}`;
  $("control-token").value = state.token ?? "";
  $("control-reason").value = "";
  $("control-remember").checked = sessionStorage.getItem(TOKEN_KEY) !== null;
  $("control-cancel-open").checked = false;
  $("control-cancel-open").disabled = target !== "HALTED";
  $("control-error").hidden = true;
  $("control-dialog").showModal();
}

async function sendControl(event) {
  event.preventDefault();
  if (!pending) return;
  const { row, target } = pending;
  const token = $("control-token").value.trim();
  const body = {
    scope: row.scope,
    state: target,
    reason: $("control-reason").value.trim(),
    ...(row.namespace ? { namespace: row.namespace } : {}),
    ...(row.strategy_id ? { strategy_id: row.strategy_id } : {}),
    ...(target === "HALTED" && $("control-cancel-open").checked ? { cancel_open: true } : {}),
  };
  const response = await fetch("/control", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${token}`,
      "x-operator": "console",
    },
    body: JSON.stringify(body),
  }).catch((error) => ({ ok: false, status: 0, json: async () => ({ error: String(error) }) }));
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    $("control-error").textContent =
      `Refused (HTTP ${response.status}): ${answer.error ?? "unknown error"}`;
    $("control-error").hidden = false;
    if (response.status === 401) state.token = null;
    return;
  }
  state.token = token;
  if ($("control-remember").checked) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  $("control-dialog").close();
  pending = null;
  showMessage(
    `${row.label}: ${target} requested; it applies once read back from the control topic.`,
    "ok",
  );
}

function showMessage(text, kind) {
  const note = $("control-message");
  note.textContent = text;
  note.className = `note ${kind}`;
  note.hidden = false;
}

// ---- positions, latency, lag, dead letters ---------------------------------------------------

async function loadPositions() {
  const answer = await getJson("/api/positions");
  $("pnl").replaceChildren(
    ...answer.strategies.map((row) =>
      el(
        "tr",
        { "data-strategy": row.strategy_id, "data-namespace": row.namespace },
        el("td", {}, row.strategy_id),
        el("td", {}, row.namespace),
        el("td", { className: "num" }, signed(row.realised_pnl)),
        el("td", { className: "num" }, fmt(row.fees)),
        el("td", { className: "num" }, signed(row.net_pnl)),
      ),
    ),
  );
  $("positions").replaceChildren(
    ...answer.positions.map((row) =>
      el(
        "tr",
        {},
        el("td", {}, row.strategy_id),
        el("td", {}, row.namespace),
        el("td", { className: "num" }, row.instrument_token),
        el("td", { className: "num" }, row.net_quantity),
        el("td", { className: "num" }, fmt(row.average_cost)),
        el("td", { className: "num" }, signed(row.realised_pnl)),
        el("td", { className: "num" }, row.fills),
      ),
    ),
  );
  for (const row of answer.strategies) noteStrategy(row.strategy_id);
}

async function loadLatency() {
  const { points } = await getJson("/api/latency");
  const chart = $("latency-chart");
  if (points.length === 0 || !window.vega || !window.vegaLite) return;
  if (points.length === state.latencyPoints && state.latencyView) return;
  state.latencyPoints = points.length;
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: 180,
    background: "transparent",
    data: { values: points.map((p) => ({ ...p, t: new Date(p.t).toISOString() })) },
    mark: { type: "point", filled: true, size: 30, tooltip: true },
    encoding: {
      x: { field: "t", type: "temporal", title: null, axis: { format: "%H:%M:%S" } },
      y: { field: "latency_ms", type: "quantitative", title: "ms" },
      color: { field: "namespace", type: "nominal", title: "namespace" },
    },
    config: {
      axis: {
        labelColor: "#7d8a99",
        titleColor: "#7d8a99",
        gridColor: "#26303b",
        domainColor: "#26303b",
      },
      legend: { labelColor: "#d8dee6", titleColor: "#7d8a99" },
      view: { stroke: null },
    },
  };
  state.latencyView?.finalize();
  chart.replaceChildren();
  const compiled = window.vegaLite.compile(spec).spec;
  state.latencyView = new window.vega.View(window.vega.parse(compiled), {
    renderer: "svg",
    container: chart,
    hover: true,
  });
  await state.latencyView.runAsync();
}

async function loadLag() {
  const answer = await getJson("/api/lag");
  const box = $("lag");
  if (!answer.applicable) {
    box.replaceChildren(el("p", { className: "muted" }, `not applicable: ${answer.reason}`));
    return;
  }
  box.replaceChildren(
    el("p", {}, `${answer.total} messages behind in all`),
    el(
      "table",
      { className: "dense" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", {}, "Topic"),
          el("th", { className: "num" }, "Partition"),
          el("th", { className: "num" }, "Lag"),
        ),
      ),
      el(
        "tbody",
        {},
        ...answer.partitions.map((row) =>
          el(
            "tr",
            {},
            el("td", {}, row.topic),
            el("td", { className: "num" }, row.partition),
            el("td", { className: "num" }, row.lag),
          ),
        ),
      ),
    ),
  );
}

const deadLetters = [];

function renderDeadLetters() {
  if (deadLetters.length === 0) {
    $("dead-letters").replaceChildren(
      el("tr", {}, el("td", { colspan: 5, className: "muted" }, "none since the engine started")),
    );
    return;
  }
  $("dead-letters").replaceChildren(
    ...deadLetters.map((letter) =>
      el(
        "tr",
        {},
        el("td", {}, time(letter.failed_at)),
        el("td", {}, letter.original_topic ?? letter.topic),
        el("td", { className: "num" }, letter.original_partition ?? "—"),
        el("td", { className: "num" }, letter.original_offset ?? "—"),
        el("td", { className: "wrap" }, letter.error),
      ),
    ),
  );
}

async function loadDeadLetters() {
  const answer = await getJson("/api/dead-letters");
  deadLetters.splice(0, deadLetters.length, ...answer.dead_letters);
  renderDeadLetters();
}

// ---- live updates --------------------------------------------------------------------------

const soon = new Map();
/** Runs `work` once after `ms`, however many times it is asked for meanwhile. */
function debounce(name, ms, work) {
  if (soon.has(name)) return;
  soon.set(
    name,
    setTimeout(() => {
      soon.delete(name);
      work().catch(report);
    }, ms),
  );
}

function report(error) {
  showMessage(`The console could not refresh: ${error.message}`, "bad");
}

async function loadSnapshot() {
  const { executions } = await getJson("/api/executions");
  for (const row of executions) upsertExecution(row);
  renderBlotter();
  await Promise.all([
    loadNamespaces(),
    loadPositions(),
    loadLatency(),
    loadLag(),
    loadDeadLetters(),
  ]);
}

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => {
    $("live").textContent = "live";
    $("live").className = "pill pill-on";
    // Loaded once the stream is open, so nothing published in between is missed.
    loadSnapshot().catch(report);
  });
  source.addEventListener("error", () => {
    $("live").textContent = "reconnecting…";
    $("live").className = "pill pill-off";
  });
  source.addEventListener("execution", (event) => {
    const row = JSON.parse(event.data);
    if (upsertExecution(row)) renderBlotter(rowKey(row));
    if (row.state === "filled" || row.state === "partially_filled") {
      debounce("positions", 300, loadPositions);
      debounce("latency", 300, loadLatency);
    }
    debounce("namespaces", 500, loadNamespaces);
    debounce("lag", 1_000, loadLag);
  });
  source.addEventListener("dead_letter", (event) => {
    deadLetters.unshift(JSON.parse(event.data));
    deadLetters.splice(100);
    renderDeadLetters();
  });
  source.addEventListener("control", () => debounce("namespaces", 50, loadNamespaces));
}

async function start() {
  state.overview = await getJson("/api/overview");
  $("instance").textContent = state.overview.instance_id;
  $("mode").textContent = state.overview.mode === "embedded" ? "embedded" : "kafka";
  $("admin").textContent = state.overview.admin_writable
    ? "admin: token asked per change"
    : "read-only";
  $("readonly-note").hidden = state.overview.admin_writable;
  for (const id of ["filter-strategy", "filter-namespace", "filter-state"]) {
    $(id).addEventListener("change", () => renderBlotter());
  }
  $("control-form").addEventListener("submit", (event) => void sendControl(event));
  $("control-cancel").addEventListener("click", () => $("control-dialog").close());
  renderScopes();
  connect();
  setInterval(() => {
    Promise.all([loadNamespaces(), loadLag(), loadLatency()]).catch(report);
  }, 5_000);
}

start().catch(report);
