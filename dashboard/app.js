// The streamfold dashboard: a plain ES module over the query API (/api/...), no build step.
// It keeps its selection in the URL hash, so a view can be bookmarked or shared.
import uPlot from '/vendor/uplot/uPlot.esm.js';

/** How often the page refreshes while live, ms. */
const LIVE_INTERVAL_MS = 2_000;
/**
 * Live refreshes between two readings of the group list and the top groups (every 10 s):
 * those answers scan the aggregates table, while a series is one Query.
 */
const GROUP_REFRESH_EVERY = 5;
/** The API refuses a range longer than this many buckets of the window. */
const MAX_BUCKETS_PER_RANGE = 10_000;
/** Points per /api/series page: the API's maximum, so a day of minutes takes two requests. */
const SERIES_PAGE_LIMIT = 1_000;
/** Pages followed per refresh at most; 10,000 buckets fit in ten. */
const MAX_SERIES_PAGES = 10;
/** Rows of the latest-points table. */
const LATEST_ROWS = 10;
/** Value statistics a chart can draw, in legend order, with their colours. */
const VALUE_SERIES = [
  { stat: 'avg', stroke: '#2563eb' },
  { stat: 'p50', stroke: '#059669' },
  { stat: 'p90', stroke: '#d97706' },
  { stat: 'p99', stroke: '#dc2626' },
];
/** Colour of the count series; the browser test looks for it on the canvas. */
const COUNT_STROKE = '#4b5563';
/** Columns of the latest-points table after the bucket. */
const TABLE_STATS = ['count', 'sum', 'avg', 'min', 'max', 'p50', 'p90', 'p99'];
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const $ = (selector) => {
  const element = document.querySelector(selector);
  if (!element) throw new Error(`dashboard markup lacks ${selector}`);
  return element;
};

const view = {
  metric: $('#metric'),
  range: $('#range'),
  window: $('#window'),
  live: $('#live'),
  topBy: $('#top-by'),
  status: $('[data-testid="status"]'),
  error: $('[data-testid="error"]'),
  groups: $('[data-testid="groups"]'),
  chart: $('#chart'),
  chartHeading: $('[data-testid="chart-heading"]'),
  rows: $('[data-testid="latest-rows"]'),
  topRows: $('[data-testid="top-rows"]'),
  topValueHeading: $('#top-value-heading'),
  totals: {
    count: $('[data-testid="total-count"]'),
    sum: $('[data-testid="total-sum"]'),
    buckets: $('[data-testid="total-buckets"]'),
  },
  health: $('[data-testid="health"]'),
  groupCapNotice: $('[data-testid="group-cap-notice"]'),
};

const state = {
  /** @type {Array<{name: string, value?: string, groupBy: string[], stats: string[], windows: string[]}>} */
  metrics: [],
  metric: '',
  window: '',
  range: '15m',
  group: '',
  topBy: 'count',
};

/** The uPlot instance and the series layout it was built for. */
let chart;
let chartLayout = '';
/** The time axis spans the chosen range, seconds; uPlot would otherwise fit it to the data (years around one point). */
let xRange = [0, 1];
let refreshing = false;
let pendingRefresh = false;
/** Live ticks since the groups were last read. */
let ticksSinceGroups = 0;
/** The latest group list and top groups, reused by the live ticks in between. */
let lastGroups;
let lastTop;

/** An API error, with the code and message the API sent. */
class ApiError extends Error {
  constructor(path, status, body) {
    super(
      `${path}: ${body?.error ?? `HTTP ${status}`}${body?.message ? ` — ${body.message}` : ''}`,
    );
    this.name = 'ApiError';
    this.status = status;
  }
}

async function api(path, params = {}) {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, value]) => value !== undefined && value !== ''),
  );
  const url = `/api/${path}${query.size > 0 ? `?${query}` : ''}`;
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(url, response.status, body);
  return body;
}

function durationMs(text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2]] : Number.NaN;
}

/**
 * A number as the API sent it: integers whole, others to 10 significant digits,
 * which drops binary floating-point noise and keeps more digits than any
 * percentile (within 1 %) or realistic sum can claim.
 */
function formatExact(value) {
  if (value === undefined || value === null) return '–';
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(10)));
}

/** `2026-11-22 10:15` (seconds only when the bucket does not start on a minute). */
function formatBucket(iso) {
  const text = iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
  return text.endsWith(':00') ? text.slice(0, -3) : text;
}

function groupLabel(group) {
  return group === '*' ? 'all (ungrouped)' : group;
}

function currentMetric() {
  return state.metrics.find((metric) => metric.name === state.metric);
}

/** Windows of the metric whose buckets the API serves over the chosen range. */
function windowsFor(metric, range) {
  const rangeMs = durationMs(range);
  return metric.windows.filter((w) => rangeMs / durationMs(w) <= MAX_BUCKETS_PER_RANGE);
}

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const key of ['metric', 'window', 'range', 'group', 'topBy']) {
    const value = params.get(key);
    if (value) state[key] = value;
  }
}

function writeHash() {
  const params = new URLSearchParams({
    metric: state.metric,
    window: state.window,
    range: state.range,
    group: state.group,
    topBy: state.topBy,
  });
  history.replaceState(null, '', `#${params}`);
}

function fillSelect(select, options, selected) {
  select.replaceChildren(
    ...options.map(({ value, label, disabled }) => {
      const option = new Option(label, value, false, value === selected);
      option.disabled = disabled === true;
      return option;
    }),
  );
  select.value = selected;
}

/** Makes the selects show the state, correcting choices the metric or range does not allow. */
function syncControls() {
  const metric = currentMetric() ?? state.metrics[0];
  if (!metric) return;
  state.metric = metric.name;
  if (![...view.range.options].some((option) => option.value === state.range)) state.range = '15m';
  const allowed = windowsFor(metric, state.range);
  if (!allowed.includes(state.window)) state.window = allowed[0] ?? metric.windows[0];
  fillSelect(
    view.metric,
    state.metrics.map((m) => ({ value: m.name, label: m.name })),
    state.metric,
  );
  fillSelect(
    view.window,
    metric.windows.map((w) => ({
      value: w,
      label: allowed.includes(w) ? w : `${w} (range too long)`,
      disabled: !allowed.includes(w),
    })),
    state.window,
  );
  view.range.value = state.range;
  const byOptions = ['count', ...['sum', 'avg', 'max'].filter((s) => metric.stats.includes(s))];
  if (!byOptions.includes(state.topBy)) state.topBy = 'count';
  fillSelect(
    view.topBy,
    byOptions.map((s) => ({ value: s, label: s })),
    state.topBy,
  );
  view.metric.disabled = false;
  view.window.disabled = false;
  for (const th of document.querySelectorAll('th[data-stat]')) {
    th.hidden = !metric.stats.includes(th.dataset.stat);
  }
}

function showError(error) {
  view.error.textContent = error instanceof Error ? error.message : String(error);
  view.error.hidden = false;
}

function clearError() {
  view.error.hidden = true;
  view.error.textContent = '';
}

function renderGroups(groups) {
  view.groups.replaceChildren(
    ...groups.map(({ group, count }) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.group = group;
      button.dataset.testid = 'group-button';
      button.setAttribute('aria-pressed', String(group === state.group));
      const name = document.createElement('span');
      name.textContent = groupLabel(group);
      const figure = document.createElement('span');
      figure.className = 'num';
      figure.textContent = formatExact(count);
      button.append(name, figure);
      button.addEventListener('click', () => selectGroup(group));
      item.append(button);
      return item;
    }),
  );
  if (groups.length === 0) {
    const item = document.createElement('li');
    item.className = 'empty';
    item.textContent = 'No events in this range.';
    view.groups.replaceChildren(item);
  }
}

function renderTop(groups) {
  view.topValueHeading.textContent = state.topBy;
  view.topRows.replaceChildren(
    ...groups.map((row) => {
      const tr = document.createElement('tr');
      const name = document.createElement('td');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'link';
      button.textContent = groupLabel(row.group);
      button.addEventListener('click', () => selectGroup(row.group));
      name.append(button);
      const value = document.createElement('td');
      value.className = 'num';
      value.textContent = formatExact(row[state.topBy]);
      tr.append(name, value);
      return tr;
    }),
  );
}

function renderTable(points, metric) {
  const shown = points.slice(-LATEST_ROWS).reverse();
  view.rows.replaceChildren(
    ...shown.map((point, index) => {
      const tr = document.createElement('tr');
      const bucket = document.createElement('th');
      bucket.scope = 'row';
      bucket.textContent = formatBucket(point.bucket);
      bucket.dataset.value = point.bucket;
      if (index === 0) bucket.dataset.testid = 'latest-bucket';
      tr.append(bucket);
      for (const stat of TABLE_STATS) {
        const td = document.createElement('td');
        td.className = 'num';
        td.hidden = stat !== 'count' && !metric.stats.includes(stat);
        td.textContent = formatExact(point[stat]);
        if (point[stat] !== undefined) td.dataset.value = String(point[stat]);
        if (index === 0) td.dataset.testid = `latest-${stat}`;
        tr.append(td);
      }
      return tr;
    }),
  );
  if (shown.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = TABLE_STATS.length + 1;
    td.className = 'empty';
    td.textContent = 'No buckets in this range.';
    tr.append(td);
    view.rows.replaceChildren(tr);
  }
  const total = (stat) => points.reduce((sum, point) => sum + (point[stat] ?? 0), 0);
  view.totals.count.value = formatExact(total('count'));
  view.totals.sum.value = metric.stats.includes('sum') ? formatExact(total('sum')) : '–';
  view.totals.buckets.value = String(points.length);
}

function chartSize() {
  return { width: Math.max(320, view.chart.clientWidth), height: 300 };
}

function renderChart(points, metric) {
  const values = VALUE_SERIES.filter(({ stat }) => metric.stats.includes(stat));
  const layout = `${metric.name}|${values.map((v) => v.stat).join(',')}`;
  const data = [
    points.map((point) => Date.parse(point.bucket) / 1_000),
    points.map((point) => point.count),
    ...values.map(({ stat }) => points.map((point) => point[stat] ?? null)),
  ];
  const nowS = Date.now() / 1_000;
  const firstS = data[0][0] ?? nowS;
  xRange = [Math.min(firstS, nowS - durationMs(state.range) / 1_000), nowS];
  if (chart && layout === chartLayout) {
    chart.setData(data);
  } else {
    chart?.destroy();
    chartLayout = layout;
    const unit = metric.value ? ` (${metric.value})` : '';
    chart = new uPlot(
      {
        ...chartSize(),
        // The table shows UTC buckets; the axis does too, so the two read alike.
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1_000), 'Etc/UTC'),
        scales: { x: { time: true, range: () => xRange }, count: {}, value: {} },
        series: [
          { label: 'bucket (UTC)' },
          {
            label: 'count',
            scale: 'count',
            stroke: COUNT_STROKE,
            fill: 'rgba(75, 85, 99, 0.10)',
            width: 2,
          },
          ...values.map(({ stat, stroke }) => ({ label: stat, scale: 'value', stroke, width: 2 })),
        ],
        axes: [
          { stroke: '#374151' },
          values.length > 0
            ? { scale: 'value', label: `value${unit}`, stroke: '#374151' }
            : { scale: 'count', label: 'count', stroke: '#374151' },
          ...(values.length > 0
            ? [
                {
                  scale: 'count',
                  side: 1,
                  label: 'count',
                  stroke: '#374151',
                  grid: { show: false },
                },
              ]
            : []),
        ],
      },
      data,
      view.chart,
    );
  }
  view.chart.dataset.points = String(points.length);
  view.chart.setAttribute(
    'aria-label',
    `Chart of ${metric.name}, group ${groupLabel(state.group)}, ${state.window} buckets over the last ${state.range}: ` +
      `${points.length} buckets, count${values.map((v) => `, ${v.stat}`).join('')}`,
  );
}

function renderHealth(health) {
  const set = (testid, text) => {
    const element = view.health.querySelector(`[data-testid="${testid}"]`);
    if (element) element.textContent = text;
  };
  set('health-events-per-second', formatExact(Math.round(health.eventsPerSecond * 10) / 10));
  set('health-iterator-lag', `${formatExact(health.iteratorLagMs)} ms`);
  set('health-produced', formatExact(health.produced));
  set('health-aggregated', formatExact(health.aggregated));
  set('health-rejected', formatExact(health.rejected));
  set('health-on-failure', formatExact(health.sentToOnFailure));
  set('health-archived-events', formatExact(health.archivedEvents));
  set('health-archive-objects', formatExact(health.archiveObjects));
  renderGroupCaps(health.groupCaps ?? []);
}

/**
 * One line per metric whose group cap is full: events of its new groups are counted in
 * `__other__` from now on, which the charts alone do not show.
 */
function renderGroupCaps(groupCaps) {
  const full = groupCaps.filter((cap) => cap.full);
  view.groupCapNotice.replaceChildren(
    ...full.map((cap) => {
      const line = document.createElement('p');
      line.dataset.metric = cap.metric;
      line.textContent =
        `Group cap full: ${cap.metric} uses all ${formatExact(cap.maxGroups)} groups; ` +
        `${formatExact(cap.eventsOverGroupCap)} events of new groups counted in __other__ since start. ` +
        `Raise ${cap.setting} to keep new groups apart.`;
      return line;
    }),
  );
  view.groupCapNotice.hidden = full.length === 0;
}

async function readSeries(params) {
  const points = [];
  let cursor;
  for (let page = 0; page < MAX_SERIES_PAGES; page++) {
    const body = await api('series', { ...params, limit: SERIES_PAGE_LIMIT, cursor });
    points.push(...body.points);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return points;
}

/**
 * Reads and renders everything; a live tick (`tick`) reuses the group list and top groups
 * unless they are due, every other refresh (a changed control, a click) reads them too.
 */
async function refresh(tick = false) {
  // One refresh at a time; a change made meanwhile triggers one more when it ends.
  if (refreshing) {
    pendingRefresh = pendingRefresh || !tick;
    return;
  }
  refreshing = true;
  try {
    const metric = currentMetric();
    if (!metric) return;
    const range = { metric: metric.name, window: state.window, since: state.range };
    const groupsDue = !tick || !lastGroups || ++ticksSinceGroups >= GROUP_REFRESH_EVERY;
    const [groups, top, health] = await Promise.all([
      groupsDue ? api('groups', range) : lastGroups,
      groupsDue ? api('top', { ...range, by: state.topBy, limit: 10 }) : lastTop,
      api('health').catch((error) => error),
    ]);
    if (groupsDue) {
      lastGroups = groups;
      lastTop = top;
      ticksSinceGroups = 0;
    }
    if (!groups.groups.some((g) => g.group === state.group)) {
      state.group = groups.groups[0]?.group ?? (metric.groupBy.length === 0 ? '*' : '');
    }
    writeHash();
    renderGroups(groups.groups);
    renderTop(top.groups);
    if (health instanceof ApiError && health.status === 404) {
      // The AWS API has no pipeline status; the panel only makes sense locally.
      view.health.hidden = true;
    } else if (health instanceof Error) {
      throw health;
    } else {
      renderHealth(health);
    }
    const points = state.group ? await readSeries({ ...range, group: state.group }) : [];
    view.chartHeading.textContent = `${metric.name} · ${groupLabel(state.group || '–')} · ${state.window} buckets`;
    renderChart(points, metric);
    renderTable(points, metric);
    clearError();
    view.status.textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC${view.live.checked ? ' · live' : ''}`;
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
  } catch (error) {
    showError(error);
    view.status.textContent = 'Refresh failed';
  } finally {
    refreshing = false;
    if (pendingRefresh) {
      pendingRefresh = false;
      void refresh();
    }
  }
}

function selectGroup(group) {
  state.group = group;
  for (const button of view.groups.querySelectorAll('button')) {
    button.setAttribute('aria-pressed', String(button.dataset.group === group));
  }
  writeHash();
  void refresh();
}

function onControlsChanged() {
  const metricChanged = view.metric.value !== state.metric;
  state.metric = view.metric.value;
  state.range = view.range.value;
  state.window = metricChanged ? '' : view.window.value;
  state.topBy = view.topBy.value;
  if (metricChanged) state.group = '';
  syncControls();
  writeHash();
  void refresh();
}

let liveTimer;
function setLive(on) {
  clearInterval(liveTimer);
  liveTimer = on
    ? setInterval(() => {
        // A hidden tab does not need fresh figures; it catches up when shown again.
        if (!document.hidden) void refresh(true);
      }, LIVE_INTERVAL_MS)
    : undefined;
}

async function start() {
  readHash();
  try {
    const { metrics } = await api('metrics');
    state.metrics = metrics;
  } catch (error) {
    showError(error);
    view.status.textContent = 'The query API is not reachable';
    return;
  }
  if (state.metrics.length === 0) {
    showError('No metrics are configured.');
    return;
  }
  syncControls();
  for (const select of [view.metric, view.range, view.window, view.topBy]) {
    select.addEventListener('change', onControlsChanged);
  }
  view.live.addEventListener('change', () => setLive(view.live.checked));
  new ResizeObserver(() => {
    // Only a new width matters; the height is fixed, and resizing on it would loop.
    const size = chartSize();
    if (chart && chart.width !== size.width) chart.setSize(size);
  }).observe(view.chart);
  setLive(view.live.checked);
  await refresh();
}

void start();
