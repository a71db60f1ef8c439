// The streamfold dashboard: a plain ES module over the query API (/api/...), no build step.
// It keeps its selection in the URL hash, so a view can be bookmarked or shared, and follows
// the hash when it changes in an open tab.
import uPlot from '/vendor/uplot/uPlot.esm.js';

/** How often the page refreshes while live, ms: every panel in one cycle, so their figures agree. */
const LIVE_INTERVAL_MS = 5_000;
/** The API refuses a range longer than this many buckets of the window. */
const MAX_BUCKETS_PER_RANGE = 10_000;
/** Points per /api/series page: the API's maximum, so a day of minutes takes two requests. */
const SERIES_PAGE_LIMIT = 1_000;
/** Pages followed per refresh at most; 10,000 buckets fit in ten. */
const MAX_SERIES_PAGES = 10;
/** Rows of the latest-points table. */
const LATEST_ROWS = 10;
/** Groups overlaid in the "top groups" chart. */
const TOP_OVERLAY = 5;
/** "Same time yesterday" is read from minute buckets, kept 2 days: the overlay covers ranges up to a day. */
const YESTERDAY_MS = 86_400_000;
/** Significant digits of averages and percentiles (the percentiles are within 1 %). */
const STAT_DIGITS = 4;
/** Significant digits of rates per second. */
const RATE_DIGITS = 3;
/** Value statistics a chart can draw, in legend order, with their colours. */
const VALUE_SERIES = [
  { stat: 'avg', stroke: '#2563eb' },
  { stat: 'p50', stroke: '#059669' },
  { stat: 'p90', stroke: '#d97706' },
  { stat: 'p99', stroke: '#dc2626' },
];
/** Colour of the count series; the browser test looks for it on the canvas. */
const COUNT_STROKE = '#4b5563';
/** Colour of yesterday's count, drawn dashed. */
const YESTERDAY_STROKE = '#9333ea';
/** Colours of overlaid lines (top groups, shards, reject codes, fault kinds). */
const PALETTE = ['#2563eb', '#059669', '#d97706', '#dc2626', '#0891b2', '#7c3aed', '#be185d'];
/** Statistics of the latest-points table after bucket, count and rate. */
const TABLE_STATS = ['sum', 'avg', 'min', 'max', 'p50', 'p90', 'p99'];
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Defaults of the state kept in the hash. */
const DEFAULTS = {
  metric: '',
  window: '',
  range: '15m',
  group: '',
  topBy: 'count',
  view: 'series',
  unit: 'bucket',
  yesterday: '0',
};

const $ = (selector) => {
  const element = document.querySelector(selector);
  if (!element) throw new Error(`dashboard markup lacks ${selector}`);
  return element;
};
const byTestId = (testid) => $(`[data-testid="${testid}"]`);

const view = {
  metric: $('#metric'),
  range: $('#range'),
  window: $('#window'),
  view: $('#view'),
  unit: $('#unit'),
  yesterday: $('#yesterday'),
  live: $('#live'),
  topBy: $('#top-by'),
  status: byTestId('status'),
  error: byTestId('error'),
  groups: byTestId('groups'),
  chart: $('#chart'),
  chartHeading: byTestId('chart-heading'),
  emptyState: byTestId('empty-state'),
  legendNote: byTestId('legend-note'),
  rows: byTestId('latest-rows'),
  topRows: byTestId('top-rows'),
  topTable: byTestId('top-table'),
  topValueHeading: $('#top-value-heading'),
  totals: {
    count: byTestId('total-count'),
    sum: byTestId('total-sum'),
    buckets: byTestId('total-buckets'),
    yesterday: byTestId('total-yesterday'),
    yesterdayWrap: byTestId('total-yesterday-wrap'),
  },
  health: byTestId('health'),
  healthStale: byTestId('health-stale'),
  healthAsOf: byTestId('health-as-of'),
  groupCapNotice: byTestId('group-cap-notice'),
  history: byTestId('history'),
  historyStale: byTestId('history-stale'),
  historyEmpty: byTestId('history-empty'),
};

const state = { ...DEFAULTS };
/** @type {Array<{name: string, value?: string, groupBy: string[], stats: string[], windows: string[]}>} */
let metrics = [];

/** The main uPlot instance and the layout it was built for. */
let chart;
let chartLayout = '';
/** The time axis spans the chosen range, seconds; uPlot would otherwise fit it to the data. */
let xRange = [0, 1];
/** Start of the open (current) bucket, seconds; the chart shades it as partial. */
let openBucketS;
/** The health charts, by name, with the series layout each was built for. */
const historyCharts = new Map();
let refreshing = false;
let pendingRefresh = false;
/** When the API last answered a whole refresh, ms; the page is stale once a refresh fails. */
let lastSuccessMs;
/** Top groups answered while the pointer was over the table; drawn when it leaves. */
let heldTop;
let pointerOnTop = false;

/** An API error, with the code and message the API sent. */
class ApiError extends Error {
  constructor(path, status, body) {
    super(
      `${path}: ${body?.error ?? `HTTP ${status}`}${body?.message ? ` — ${body.message}` : ''}`,
    );
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.error;
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

// ---- Numbers -------------------------------------------------------------------------------

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 20 });

/** A count or another exact integer, with thousands separators: `10,394`. */
function formatCount(value) {
  if (value === undefined || value === null) return '–';
  return grouped.format(value);
}

/**
 * A figure to `digits` significant digits (avg and percentiles: the percentiles are within
 * 1 %, so more digits would claim a precision they lack): `278.7`, `1,235`, `0.04521`.
 */
function formatSignificant(value, digits = STAT_DIGITS) {
  if (value === undefined || value === null) return '–';
  if (value === 0) return '0';
  const rounded = Number(value.toPrecision(digits));
  return new Intl.NumberFormat('en-US', {
    maximumSignificantDigits: Math.max(digits, String(Math.trunc(Math.abs(rounded))).length),
  }).format(rounded);
}

/** A value as the event sent it (min, max): every digit, with thousands separators. */
function formatExact(value) {
  if (value === undefined || value === null) return '–';
  return grouped.format(Number(value.toPrecision(15)));
}

/** A decimal string (an exact sum) with thousands separators, every digit kept. */
function formatDecimal(text) {
  if (text === undefined || text === null) return '–';
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  if (!match) return text;
  return `${match[1]}${match[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${match[3] ?? ''}`;
}

/**
 * Adds decimal strings exactly (the API's `sumDecimal`s), so a sum over buckets is the one
 * the table holds, not a binary approximation; `undefined` when one is not a plain decimal.
 */
function addDecimals(texts) {
  const parsed = texts.map((text) => /^(-?)(\d+)(?:\.(\d+))?$/.exec(text));
  if (parsed.some((match) => match === null)) return undefined;
  const scale = Math.max(0, ...parsed.map((match) => (match[3] ?? '').length));
  let total = 0n;
  for (const [, sign, whole, fraction = ''] of parsed) {
    const units = BigInt(whole + fraction.padEnd(scale, '0'));
    total += sign ? -units : units;
  }
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0');
  const text =
    scale === 0
      ? digits
      : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, '');
  return `${negative ? '-' : ''}${text}`;
}

// ---- Time: UTC, 24-hour, everywhere ----------------------------------------------------------

const pad = (n) => String(n).padStart(2, '0');

/** `2026-11-29 18:36` (with `:05` seconds when asked), UTC. */
function formatUtc(ms, seconds = false) {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return `${date} ${time}${seconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
}

/** `18:36:05` UTC. */
function formatClock(ms) {
  return formatUtc(ms, true).slice(11);
}

/**
 * Time-axis labels in the table's format: `18:36`, with the date under the first tick and
 * under each tick that starts a new day, so labels stay short and never collide.
 */
function timeAxisValues(_u, splits, _axis, _space, increment) {
  let previousDate = '';
  return splits.map((seconds) => {
    const text = formatUtc(seconds * 1_000, increment < 60);
    const [date, time] = text.split(' ');
    const label = date === previousDate ? time : `${time}\n${date}`;
    previousDate = date;
    return label;
  });
}

/** The x axis and legend of every chart: UTC, 24-hour, the table's format. */
function timeAxis() {
  return { stroke: '#374151', values: timeAxisValues, space: 70 };
}

function timeSeries(label) {
  return {
    label,
    value: (_u, seconds) => (seconds === null ? '–' : `${formatUtc(seconds * 1_000, true)} UTC`),
  };
}

// ---- State and hash --------------------------------------------------------------------------

function groupLabel(group) {
  if (group === '') return 'all groups (total)';
  return group === '*' ? 'all events' : group;
}

function currentMetric() {
  return metrics.find((metric) => metric.name === state.metric);
}

/** Windows of the metric whose buckets the API serves over the chosen range. */
function windowsFor(metric, range) {
  const rangeMs = durationMs(range);
  return metric.windows.filter((w) => rangeMs / durationMs(w) <= MAX_BUCKETS_PER_RANGE);
}

/** Reads the whole state from the hash; what it does not name takes its default. */
function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const key of Object.keys(DEFAULTS)) state[key] = params.get(key) ?? DEFAULTS[key];
}

function hashOf() {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    if (key === 'metric' || key === 'window' || state[key] !== DEFAULTS[key]) {
      params.set(key, state[key]);
    }
  }
  return `#${params}`;
}

function writeHash() {
  const hash = hashOf();
  if (location.hash !== hash) history.replaceState(null, '', hash);
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

/**
 * Makes the controls show the state, correcting choices the metric or range does not allow
 * (never the group: a group without events is shown as such, not swapped for another).
 */
function syncControls() {
  const metric = currentMetric() ?? metrics[0];
  if (!metric) return;
  state.metric = metric.name;
  if (![...view.range.options].some((option) => option.value === state.range)) state.range = '15m';
  const allowed = windowsFor(metric, state.range);
  if (!allowed.includes(state.window)) state.window = allowed[0] ?? metric.windows[0];
  if (!['series', 'top'].includes(state.view)) state.view = 'series';
  if (!['bucket', 'second'].includes(state.unit)) state.unit = 'bucket';
  // `*` is the one stored group of a metric without groupBy, and the total of one with.
  if (state.group === '*' && metric.groupBy.length > 0) state.group = '';
  if (state.group === '' && metric.groupBy.length === 0) state.group = '*';
  fillSelect(
    view.metric,
    metrics.map((m) => ({ value: m.name, label: m.name })),
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
  view.view.value = state.view;
  view.view.disabled = metric.groupBy.length === 0;
  view.unit.value = state.unit;
  const yesterdayAllowed = durationMs(state.range) <= YESTERDAY_MS;
  view.yesterday.disabled = !yesterdayAllowed;
  view.yesterday.checked = state.yesterday === '1' && yesterdayAllowed;
  view.yesterday.parentElement.title = yesterdayAllowed
    ? 'Overlay the same range 24 hours earlier'
    : 'Minute buckets are kept 2 days: choose a range of at most 24 hours';
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
    th.hidden =
      th.dataset.stat === 'yesterday'
        ? !view.yesterday.checked
        : !metric.stats.includes(th.dataset.stat);
  }
}

function showError(message) {
  view.error.textContent = message;
  view.error.hidden = false;
}

function clearError() {
  view.error.hidden = true;
  view.error.textContent = '';
}

// ---- Reading -------------------------------------------------------------------------------

/**
 * Every page of a series. A group the metric has never had (404 `unknown_group`) reads as
 * no points: it is shown as an empty group, with the API's explanation.
 */
async function readSeries(params) {
  const points = [];
  let cursor;
  let first;
  try {
    for (let page = 0; page < MAX_SERIES_PAGES; page++) {
      const body = await api('series', { ...params, limit: SERIES_PAGE_LIMIT, cursor });
      first ??= body;
      points.push(...body.points);
      cursor = body.nextCursor;
      if (!cursor) break;
    }
  } catch (error) {
    if (error instanceof ApiError && error.code === 'unknown_group') {
      return { points: [], unknownGroup: error.message };
    }
    throw error;
  }
  return { points, body: first };
}

/** What one refresh reads: every panel's data, read together so their figures agree. */
async function readEverything(metric) {
  const range = { metric: metric.name, window: state.window, since: state.range };
  const nowMs = Date.now();
  const selected = state.group === '' ? undefined : state.group;
  const withYesterday = view.yesterday.checked;
  const rangeMs = durationMs(state.range);
  const [groups, top, series, yesterday, health, historyAnswer] = await Promise.all([
    api('groups', range),
    api('top', { ...range, by: state.topBy, limit: 10 }),
    readSeries({ ...range, group: selected }),
    withYesterday
      ? readSeries({
          ...range,
          group: selected,
          since: new Date(nowMs - rangeMs - YESTERDAY_MS).toISOString(),
          until: new Date(nowMs - YESTERDAY_MS).toISOString(),
        })
      : undefined,
    // The AWS API has no pipeline status (404): the health panels only make sense locally.
    api('health').catch((error) => (error instanceof ApiError ? error : Promise.reject(error))),
    // Any answer but the history (404 on AWS) hides its charts; no answer at all is staleness.
    api('health/history').catch((error) =>
      error instanceof ApiError ? error : Promise.reject(error),
    ),
  ]);
  let overlay;
  if (state.view === 'top' && metric.groupBy.length > 0) {
    // The groups with the most events in the range, each read whole, next to the total.
    const names = [...groups.groups]
      .sort((a, b) => b.count - a.count || a.group.localeCompare(b.group))
      .slice(0, TOP_OVERLAY)
      .map((g) => g.group);
    const [total, ...each] = await Promise.all([
      selected === undefined ? series : readSeries(range),
      ...names.map((group) => readSeries({ ...range, group })),
    ]);
    overlay = {
      total: total.points,
      groups: names.map((group, i) => ({ group, points: each[i].points })),
    };
  }
  return { nowMs, groups, top, series, yesterday, health, history: historyAnswer, overlay };
}

// ---- Rendering: groups and top ---------------------------------------------------------------

/**
 * The group list, by name (it does not move under the pointer as counts change), with
 * "all groups" first and a requested group that has no events in the range kept in it.
 */
function renderGroups(groups, metric, chartedCount) {
  const rows = [...groups]
    .sort((a, b) => a.group.localeCompare(b.group))
    .map((g) => (g.group === state.group ? { ...g, count: chartedCount } : g));
  if (state.group !== '' && !rows.some((g) => g.group === state.group)) {
    rows.unshift({ group: state.group, count: 0, missing: true });
  }
  // The charted series' own count on its row: the same read as the chart, table and totals
  // (the list is read a moment apart, so under load it can be a few events behind or ahead).
  const total = state.group === '' ? chartedCount : groups.reduce((sum, g) => sum + g.count, 0);
  const items = [
    ...(metric.groupBy.length > 0 ? [{ group: '', count: total, all: true }] : []),
    ...rows,
  ];
  view.groups.replaceChildren(
    ...items.map(({ group, count, missing }) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.group = group;
      button.dataset.testid = 'group-button';
      button.setAttribute('aria-pressed', String(group === state.group));
      if (missing) button.classList.add('missing');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = groupLabel(group);
      const figure = document.createElement('span');
      figure.className = 'num';
      figure.dataset.value = String(count);
      figure.textContent = formatCount(count);
      if (missing) figure.title = 'No events in the range';
      button.append(name, figure);
      button.addEventListener('click', () => selectGroup(group));
      item.append(button);
      return item;
    }),
  );
  if (groups.length === 0) {
    const item = document.createElement('li');
    item.className = 'empty';
    item.textContent = `No group of ${metric.name} has events in the last ${state.range}: choose a longer range, or send events (see the note by the chart).`;
    view.groups.append(item);
  }
}

function topValueText(row) {
  if (state.topBy === 'count') return formatCount(row.count);
  if (state.topBy === 'sum') return formatDecimal(row.sumDecimal ?? String(row.sum));
  if (state.topBy === 'avg') return formatSignificant(row.avg);
  return formatExact(row[state.topBy]);
}

/** The top groups; held while the pointer is over the table, so a row does not move under it. */
function renderTop(answered, chartedCount) {
  const groups = answered.map((row) =>
    row.group === state.group && chartedCount !== undefined ? { ...row, count: chartedCount } : row,
  );
  if (pointerOnTop) {
    heldTop = groups;
    view.topTable.dataset.held = 'true';
    return;
  }
  heldTop = undefined;
  delete view.topTable.dataset.held;
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
      value.textContent = topValueText(row);
      value.dataset.value = String(row[`${state.topBy}Decimal`] ?? row[state.topBy]);
      tr.append(name, value);
      return tr;
    }),
  );
  if (groups.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 2;
    td.className = 'empty';
    td.textContent = 'No groups with events in the range.';
    tr.append(td);
    view.topRows.replaceChildren(tr);
  }
}

// ---- Rendering: the series -------------------------------------------------------------------

/** Seconds a bucket covers so far: the whole window, or up to now for the open one. */
function bucketSeconds(bucketMs, windowMs, nowMs) {
  return Math.max(1, Math.min(windowMs, nowMs - bucketMs)) / 1_000;
}

function ratePerSecond(point, windowMs, nowMs) {
  return point.count / bucketSeconds(Date.parse(point.bucket), windowMs, nowMs);
}

function renderTable(points, yesterdayPoints, metric, nowMs) {
  const windowMs = durationMs(state.window);
  const openMs = Math.floor(nowMs / windowMs) * windowMs;
  const yesterdayCount = new Map(
    (yesterdayPoints ?? []).map((p) => [Date.parse(p.bucket) + YESTERDAY_MS, p.count]),
  );
  const shown = points.slice(-LATEST_ROWS).reverse();
  view.rows.replaceChildren(
    ...shown.map((point, index) => {
      const bucketMs = Date.parse(point.bucket);
      const open = bucketMs >= openMs;
      const tr = document.createElement('tr');
      if (open) tr.classList.add('open');
      const bucket = document.createElement('th');
      bucket.scope = 'row';
      bucket.textContent = formatUtc(bucketMs);
      if (open) {
        const badge = document.createElement('span');
        badge.className = 'partial';
        badge.dataset.testid = 'open-bucket';
        badge.title = 'The current bucket: still filling, its figures are partial';
        badge.textContent = 'open';
        bucket.append(' ', badge);
      }
      bucket.dataset.value = point.bucket;
      if (index === 0) bucket.dataset.testid = 'latest-bucket';
      tr.append(bucket);
      const cell = (stat, text, value, hidden = false) => {
        const td = document.createElement('td');
        td.className = 'num';
        td.hidden = hidden;
        td.textContent = text;
        if (value !== undefined) td.dataset.value = String(value);
        if (index === 0) td.dataset.testid = `latest-${stat}`;
        tr.append(td);
      };
      cell('count', formatCount(point.count), point.count);
      const rate = ratePerSecond(point, windowMs, nowMs);
      cell('rate', formatSignificant(rate, RATE_DIGITS), rate);
      for (const stat of TABLE_STATS) {
        const hidden = !metric.stats.includes(stat);
        if (stat === 'sum') {
          cell(stat, formatDecimal(point.sumDecimal), point.sumDecimal, hidden);
        } else if (stat === 'min' || stat === 'max') {
          cell(stat, formatExact(point[stat]), point[stat], hidden);
        } else {
          cell(stat, formatSignificant(point[stat]), point[stat], hidden);
        }
      }
      const before = yesterdayCount.get(bucketMs) ?? 0;
      cell('yesterday', formatCount(before), before, yesterdayPoints === undefined);
      return tr;
    }),
  );
  const total = points.reduce((sum, point) => sum + point.count, 0);
  view.totals.count.value = formatCount(total);
  view.totals.count.dataset.value = String(total);
  const sum = metric.stats.includes('sum')
    ? addDecimals(points.map((point) => point.sumDecimal ?? '0'))
    : undefined;
  view.totals.sum.parentElement.hidden = !metric.stats.includes('sum');
  view.totals.sum.value = sum === undefined ? '–' : formatDecimal(sum);
  if (sum !== undefined) view.totals.sum.dataset.value = sum;
  else delete view.totals.sum.dataset.value;
  view.totals.buckets.value = String(points.length);
  view.totals.buckets.dataset.value = String(points.length);
  view.totals.yesterdayWrap.hidden = yesterdayPoints === undefined;
  const yesterdayTotal = (yesterdayPoints ?? []).reduce((sum, point) => sum + point.count, 0);
  view.totals.yesterday.value = formatCount(yesterdayTotal);
  view.totals.yesterday.dataset.value = String(yesterdayTotal);
}

/** What the page says when the chosen series has nothing to show, and what to do about it. */
function emptyStateText(metric, series) {
  const range = view.range.selectedOptions[0]?.textContent ?? state.range;
  if (state.group !== '' && state.group !== '*') {
    const why = series.unknownGroup
      ? `${metric.name} has never had an event in this group (the API answers: unknown group).`
      : `The group has events before or after the range, none in it.`;
    return `No events for ${state.group} in the ${range}. ${why} If it should have events, check what sends them; otherwise choose "all groups" or another group, or a longer range.`;
  }
  return `No events for ${metric.name} in the ${range}. Send some (npm start runs a demo producer; POST /events takes a JSON array of events, see docs/http-ingest.md), or choose a longer range.`;
}

/** Shades the open bucket on the chart and names it, since its count is still growing. */
function drawOpenBucket(u) {
  if (openBucketS === undefined) return;
  const left = u.valToPos(openBucketS, 'x', true);
  const right = u.bbox.left + u.bbox.width;
  if (!(left < right)) return;
  const { ctx } = u;
  ctx.save();
  ctx.fillStyle = 'rgba(250, 204, 21, 0.18)';
  ctx.fillRect(
    Math.max(left, u.bbox.left),
    u.bbox.top,
    right - Math.max(left, u.bbox.left),
    u.bbox.height,
  );
  ctx.fillStyle = '#854d0e';
  ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
  ctx.textAlign = 'right';
  ctx.fillText('open (partial)', right - 4, u.bbox.top + 14 * devicePixelRatio);
  ctx.restore();
}

function chartSize(element, height) {
  return { width: Math.max(280, element.clientWidth), height };
}

/**
 * The series chart: the chosen series' count (per bucket or per second) on one axis and its
 * average and percentiles on the other, or the top groups' counts overlaid with the total;
 * yesterday's count dashed when asked for.
 */
function renderChart(points, yesterdayPoints, overlay, metric, nowMs) {
  const windowMs = durationMs(state.window);
  const perSecond = state.unit === 'second';
  const countOf = (point) => (perSecond ? ratePerSecond(point, windowMs, nowMs) : point.count);
  const countLabel = perSecond ? 'events/s' : 'count';
  const xs = (list) => list.map((point) => Date.parse(point.bucket) / 1_000);
  // Every line on one time axis: the buckets of all of them, each line null where it has none.
  const lines = [];
  const values = overlay ? [] : VALUE_SERIES.filter(({ stat }) => metric.stats.includes(stat));
  if (overlay) {
    lines.push({
      label: `total ${countLabel}`,
      points: overlay.total,
      get: countOf,
      stroke: COUNT_STROKE,
      scale: 'count',
      width: 2.5,
    });
    overlay.groups.forEach(({ group, points: groupPoints }, i) => {
      lines.push({
        label: group,
        points: groupPoints,
        get: countOf,
        stroke: PALETTE[i % PALETTE.length],
        scale: 'count',
        width: 1.5,
      });
    });
  } else {
    lines.push({
      label: countLabel,
      points,
      get: countOf,
      stroke: COUNT_STROKE,
      scale: 'count',
      width: 2,
      fill: 'rgba(75, 85, 99, 0.10)',
    });
    for (const { stat, stroke } of values) {
      lines.push({
        label: stat,
        points,
        get: (p) => p[stat] ?? null,
        stroke,
        scale: 'value',
        width: 2,
      });
    }
  }
  if (yesterdayPoints) {
    const shifted = yesterdayPoints.map((p) => ({
      ...p,
      bucket: new Date(Date.parse(p.bucket) + YESTERDAY_MS).toISOString(),
    }));
    lines.push({
      label: `${countLabel}, same time yesterday`,
      points: shifted,
      get: (p) => (perSecond ? p.count / (windowMs / 1_000) : p.count),
      stroke: YESTERDAY_STROKE,
      scale: 'count',
      width: 1.5,
      dash: [6, 4],
    });
  }
  const times = [...new Set(lines.flatMap((line) => xs(line.points)))].sort((a, b) => a - b);
  const data = [
    times,
    ...lines.map((line) => {
      const byTime = new Map(line.points.map((p) => [Date.parse(p.bucket) / 1_000, line.get(p)]));
      return times.map((t) => byTime.get(t) ?? null);
    }),
  ];
  const nowS = nowMs / 1_000;
  const rangeS = durationMs(state.range) / 1_000;
  xRange = [Math.min(times[0] ?? nowS, nowS - rangeS), nowS];
  openBucketS = Math.floor(nowMs / windowMs) * (windowMs / 1_000);
  const twoAxes = values.length > 0;
  const layout = `${metric.name}|${lines.map((l) => l.label).join(',')}|${twoAxes}`;
  if (chart && layout === chartLayout) {
    chart.setData(data);
  } else {
    chart?.destroy();
    chartLayout = layout;
    const unit = metric.value ? ` (${metric.value})` : '';
    const countFormat = (_u, v) =>
      v === null || v === undefined
        ? '–'
        : perSecond
          ? formatSignificant(v, RATE_DIGITS)
          : formatCount(v);
    chart = new uPlot(
      {
        ...chartSize(view.chart, 300),
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1_000), 'Etc/UTC'),
        scales: { x: { time: true, range: () => xRange }, count: {}, value: {} },
        series: [
          timeSeries('bucket (UTC)'),
          ...lines.map((line) => ({
            label: line.label,
            scale: line.scale,
            stroke: line.stroke,
            width: line.width,
            ...(line.fill ? { fill: line.fill } : {}),
            ...(line.dash ? { dash: line.dash } : {}),
            value:
              line.scale === 'count'
                ? countFormat
                : (_u, v) => (v === null || v === undefined ? '–' : formatSignificant(v)),
          })),
        ],
        axes: [
          timeAxis(),
          twoAxes
            ? {
                scale: 'value',
                label: `value${unit}`,
                stroke: '#374151',
                values: (_u, ticks) => ticks.map((v) => formatSignificant(v)),
              }
            : {
                scale: 'count',
                label: countLabel,
                stroke: '#374151',
                values: (_u, ticks) => ticks.map((v) => formatSignificant(v)),
              },
          ...(twoAxes
            ? [
                {
                  scale: 'count',
                  side: 1,
                  label: countLabel,
                  stroke: '#374151',
                  grid: { show: false },
                  values: (_u, ticks) => ticks.map((v) => formatSignificant(v)),
                },
              ]
            : []),
        ],
        hooks: { draw: [drawOpenBucket] },
      },
      data,
      view.chart,
    );
  }
  view.legendNote.textContent = twoAxes
    ? `${perSecond ? 'Events per second' : 'Count per bucket'} on the right axis; average and percentiles on the left. The shaded bucket is still open: its figures are partial.`
    : `${perSecond ? 'Events per second' : 'Count per bucket'}. The shaded bucket is still open: its figures are partial.`;
  view.chart.dataset.points = String(points.length);
  view.chart.dataset.lines = lines.map((l) => l.label).join('|');
  view.chart.setAttribute(
    'aria-label',
    `Chart of ${metric.name}, ${groupLabel(state.group)}, ${state.window} buckets over the last ${state.range}: ` +
      `${points.length} buckets; lines: ${lines.map((l) => l.label).join(', ')}`,
  );
}

// ---- Rendering: health -----------------------------------------------------------------------

function setText(testid, text) {
  const element = view.health.querySelector(`[data-testid="${testid}"]`);
  if (element) element.textContent = text;
  return element;
}

function formatAge(ms) {
  if (ms === null || ms === undefined) return 'none yet';
  const s = ms / 1_000;
  return s < 120 ? `${Math.round(s)} s ago` : `${formatSignificant(s / 60, 3)} min ago`;
}

const FAULT_LABELS = {
  dynamodbThrottles: 'DynamoDB throttles',
  dynamodbServerErrors: 'DynamoDB 500s',
  kinesisThrottles: 'Kinesis throttles',
  kinesisEntryFailures: 'PutRecords entry failures',
  handlerCrashes: 'handler crashes',
  handlerTimeouts: 'handler timeouts',
  duplicateDeliveries: 'duplicate deliveries',
};

function renderHealth(health, historyAnswer, nowMs) {
  const last = historyAnswer?.samples?.at(-1);
  const lags = last ? Object.values(last.iteratorLagMsByShard) : [];
  setText('health-events-per-second', formatSignificant(health.eventsPerSecond, RATE_DIGITS));
  // Folds come in batches: a one-second sample is 0 or a burst, five of them read steadily.
  const recent = (historyAnswer?.samples ?? []).slice(-5).map((s) => s.foldedPerSecond);
  const folded = recent.filter((v) => v !== null);
  setText(
    'health-folded-per-second',
    folded.length > 0
      ? formatSignificant(folded.reduce((a, b) => a + b, 0) / folded.length, RATE_DIGITS)
      : '–',
  );
  setText(
    'health-iterator-lag',
    `${formatCount(health.iteratorLagMs)} ms${lags.length > 1 ? ` (${lags.length} shards)` : ''}`,
  );
  setText('health-produced', formatCount(health.produced)).dataset.value = String(health.produced);
  setText('health-aggregated', formatCount(health.aggregated)).dataset.value = String(
    health.aggregated,
  );
  setText('health-rejected', formatCount(health.rejected)).dataset.value = String(health.rejected);
  setText('health-on-failure', formatCount(health.sentToOnFailure)).dataset.value = String(
    health.sentToOnFailure,
  );
  setText('health-archived-events', formatCount(health.archivedEvents)).dataset.value = String(
    health.archivedEvents,
  );
  setText('health-archive-objects', formatCount(health.archiveObjects)).dataset.value = String(
    health.archiveObjects,
  );
  setText('health-archive-age', last ? formatAge(last.archiveAgeMs) : '–');
  // Only Parquet converts records, so only then can one fail to convert.
  const parquet = health.archiveFormat === 'parquet';
  for (const element of view.health.querySelectorAll('[data-parquet]')) element.hidden = !parquet;
  setText(
    'health-conversion-failures',
    formatCount(health.archiveConversionFailures),
  ).dataset.value = String(health.archiveConversionFailures);
  const full = (health.groupCaps ?? []).filter((cap) => cap.full);
  setText(
    'health-group-caps',
    full.length === 0 ? 'none' : full.map((cap) => cap.metric).join(', '),
  );
  const faults = historyAnswer?.totals?.faults;
  for (const element of view.health.querySelectorAll('[data-chaos]')) element.hidden = !faults;
  if (faults) {
    const total = Object.values(faults).reduce((a, b) => a + b, 0);
    const parts = Object.entries(faults)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${FAULT_LABELS[kind] ?? kind} ${formatCount(n)}`);
    const element = setText(
      'health-faults',
      `${formatCount(total)}${parts.length ? ` (${parts.join(' · ')})` : ''}`,
    );
    element.dataset.value = String(total);
  }
  view.healthAsOf.textContent = `As of ${formatClock(nowMs)} UTC.`;
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

/** Draws (or updates) one health chart: `lines` of `{label, values}` over `times` (seconds). */
function renderHistoryChart(name, times, lines, format) {
  const element = view.history.querySelector(`[data-testid="history-${name}"]`);
  const layout = lines.map((line) => line.label).join('|');
  const data = [times, ...lines.map((line) => line.values)];
  element.dataset.lines = layout;
  element.dataset.latest = JSON.stringify(
    Object.fromEntries(lines.map((line) => [line.label, line.values.at(-1) ?? null])),
  );
  const existing = historyCharts.get(name);
  if (existing && existing.layout === layout) {
    existing.chart.setData(data);
    return;
  }
  existing?.chart.destroy();
  const chartOfHistory = new uPlot(
    {
      ...chartSize(element, 150),
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1_000), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } },
      series: [
        timeSeries('time (UTC)'),
        ...lines.map((line, i) => ({
          label: line.label,
          stroke: line.stroke ?? PALETTE[i % PALETTE.length],
          width: 1.5,
          value: (_u, v) => (v === null || v === undefined ? '–' : format(v)),
        })),
      ],
      axes: [
        timeAxis(),
        {
          stroke: '#374151',
          size: 50,
          values: (_u, ticks) => ticks.map((v) => formatSignificant(v, 3)),
        },
      ],
      legend: { show: true },
    },
    data,
    element,
  );
  historyCharts.set(name, { chart: chartOfHistory, layout, element });
}

/** Samples averaged over the last `width` (5 s): events are produced and folded in bursts. */
function movingAverage(values, width = 5) {
  return values.map((_, i) => {
    const recent = values.slice(Math.max(0, i - width + 1), i + 1).filter((v) => v !== null);
    return recent.length === 0 ? null : recent.reduce((a, b) => a + b, 0) / recent.length;
  });
}

function renderHistory(historyAnswer) {
  const samples = historyAnswer.samples;
  view.historyEmpty.hidden = samples.length > 1;
  view.historyEmpty.textContent =
    samples.length > 1 ? '' : 'The first samples arrive within a few seconds of the start.';
  const times = samples.map((s) => Date.parse(s.at) / 1_000);
  const keys = (pick) => [...new Set(samples.flatMap((s) => Object.keys(pick(s))))].sort();
  renderHistoryChart(
    'throughput',
    times,
    [
      {
        label: 'produced/s',
        values: movingAverage(samples.map((s) => s.producedPerSecond)),
        stroke: '#2563eb',
      },
      {
        label: 'folded/s (replays incl.)',
        values: movingAverage(samples.map((s) => s.foldedPerSecond)),
        stroke: '#059669',
      },
    ],
    (v) => formatSignificant(v, RATE_DIGITS),
  );
  const shards = keys((s) => s.iteratorLagMsByShard);
  renderHistoryChart(
    'lag',
    times,
    shards.length > 0
      ? shards.map((shard) => ({
          label: shard,
          values: samples.map((s) => s.iteratorLagMsByShard[shard] ?? null),
        }))
      : [{ label: 'no shard read yet', values: samples.map(() => null) }],
    (v) => `${formatCount(v)} ms`,
  );
  const codes = keys((s) => s.rejectedPerSecondByCode);
  renderHistoryChart(
    'rejects',
    times,
    codes.length > 0
      ? codes.map((code) => ({
          label: code,
          values: samples.map((s) => s.rejectedPerSecondByCode[code] ?? 0),
        }))
      : [{ label: 'rejects/s (none)', values: samples.map(() => 0), stroke: '#9ca3af' }],
    (v) => formatSignificant(v, RATE_DIGITS),
  );
  renderHistoryChart(
    'archive',
    times,
    [
      {
        label: 'age of newest object, s',
        values: samples.map((s) => (s.archiveAgeMs === null ? null : s.archiveAgeMs / 1_000)),
        stroke: '#0891b2',
      },
    ],
    (v) => `${formatSignificant(v, 3)} s`,
  );
  renderHistoryChart(
    'failures',
    times,
    [
      {
        label: 'on-failure records (total)',
        values: samples.map((s) => s.sentToOnFailure),
        stroke: '#dc2626',
      },
      {
        label: 'events over a full cap/s',
        values: samples.map((s) => s.eventsOverGroupCapPerSecond),
        stroke: '#d97706',
      },
    ],
    (v) => formatSignificant(v, RATE_DIGITS),
  );
  const faultsFigure = view.history.querySelector('[data-history="faults"]');
  faultsFigure.hidden = !historyAnswer.chaos;
  if (historyAnswer.chaos) {
    const kinds = Object.keys(FAULT_LABELS);
    renderHistoryChart(
      'faults',
      times,
      kinds.map((kind) => ({
        label: FAULT_LABELS[kind],
        values: samples.map((s) => s.faults?.[kind] ?? null),
      })),
      (v) => formatCount(v),
    );
  }
}

/** Marks every figure on the page as old: the API has stopped answering. */
function markStale(stale, reason) {
  document.body.dataset.stale = String(stale);
  view.healthStale.hidden = !stale;
  view.historyStale.hidden = !stale;
  if (stale) {
    const since = lastSuccessMs ? `since ${formatClock(lastSuccessMs)} UTC` : 'yet';
    view.status.textContent = `Stale: no answer ${since}; figures below are from then. Retrying.`;
    showError(`The query API did not answer: ${reason}`);
  }
}

// ---- The refresh cycle -----------------------------------------------------------------------

/** Reads every panel's data, then draws them all at once (or marks them stale). */
async function refresh() {
  // One refresh at a time; a change made meanwhile triggers one more when it ends.
  if (refreshing) {
    pendingRefresh = true;
    return;
  }
  refreshing = true;
  try {
    const metric = currentMetric();
    if (!metric) return;
    const read = await readEverything(metric);
    writeHash();
    const chartedCount = read.series.points.reduce((sum, point) => sum + point.count, 0);
    renderGroups(read.groups.groups, metric, chartedCount);
    renderTop(read.top.groups, chartedCount);
    view.chartHeading.textContent = `${metric.name} · ${groupLabel(state.group)} · ${state.window} buckets`;
    const points = read.series.points;
    const empty = points.length === 0;
    view.emptyState.hidden = !empty;
    view.emptyState.textContent = empty ? emptyStateText(metric, read.series) : '';
    view.emptyState.dataset.group = state.group;
    renderChart(points, read.yesterday?.points, read.overlay, metric, read.nowMs);
    renderTable(points, read.yesterday?.points, metric, read.nowMs);
    const healthMissing = read.health instanceof ApiError && read.health.status === 404;
    view.health.hidden = healthMissing;
    view.history.hidden = healthMissing || read.history instanceof ApiError;
    if (!healthMissing) {
      if (read.health instanceof ApiError && read.health.status !== 503) throw read.health;
      // A 503 still carries the counters: a part is down, which the panel says.
      const health = read.health instanceof ApiError ? undefined : read.health;
      if (health)
        renderHealth(
          health,
          read.history instanceof ApiError ? undefined : read.history,
          read.nowMs,
        );
      else showError(`${read.health.message}`);
    }
    if (!view.history.hidden) renderHistory(read.history);
    lastSuccessMs = read.nowMs;
    markStale(false);
    if (!(read.health instanceof ApiError)) clearError();
    view.status.textContent = `Updated ${formatClock(read.nowMs)} UTC${view.live.checked ? ' · live' : ''}`;
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
  } catch (error) {
    markStale(true, error instanceof Error ? error.message : String(error));
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
  state.view = view.view.value;
  state.unit = view.unit.value;
  state.yesterday = view.yesterday.checked ? '1' : '0';
  if (metricChanged) state.group = '';
  syncControls();
  writeHash();
  void refresh();
}

function onHashChanged() {
  if (location.hash === hashOf()) return;
  readHash();
  syncControls();
  void refresh();
}

let liveTimer;
function setLive(on) {
  clearInterval(liveTimer);
  liveTimer = on
    ? setInterval(() => {
        // A hidden tab does not need fresh figures; it catches up when shown again.
        if (!document.hidden) void refresh();
      }, LIVE_INTERVAL_MS)
    : undefined;
}

async function start() {
  readHash();
  try {
    ({ metrics } = await api('metrics'));
  } catch (error) {
    showError(
      `${error instanceof Error ? error.message : String(error)} — is streamfold start running?`,
    );
    view.status.textContent = 'The query API is not reachable';
    // Live mode keeps trying, so the page comes up by itself once the API answers.
    setTimeout(() => void start(), LIVE_INTERVAL_MS);
    return;
  }
  if (metrics.length === 0) {
    showError('No metrics are configured: add one to metrics in streamfold.config.ts and restart.');
    return;
  }
  syncControls();
  for (const select of [
    view.metric,
    view.range,
    view.window,
    view.topBy,
    view.view,
    view.unit,
    view.yesterday,
  ]) {
    select.addEventListener('change', onControlsChanged);
  }
  view.live.addEventListener('change', () => setLive(view.live.checked));
  window.addEventListener('hashchange', onHashChanged);
  view.topTable.addEventListener('pointerenter', () => {
    pointerOnTop = true;
  });
  view.topTable.addEventListener('pointerleave', () => {
    pointerOnTop = false;
    if (heldTop) renderTop(heldTop);
  });
  new ResizeObserver(() => {
    // Only a new width matters; the height is fixed, and resizing on it would loop.
    const size = chartSize(view.chart, 300);
    if (chart && chart.width !== size.width) chart.setSize(size);
    for (const { chart: small, element } of historyCharts.values()) {
      const smallSize = chartSize(element, 150);
      if (small.width !== smallSize.width) small.setSize(smallSize);
    }
  }).observe(document.body);
  setLive(view.live.checked);
  await refresh();
}

void start();
