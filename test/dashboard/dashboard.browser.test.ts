import { existsSync, mkdirSync } from 'node:fs';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import { summarizeAggregate } from '../../core/aggregates/summarizeAggregate.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { PERCENTILE_QUANTILES } from '../../core/config/metricStats.js';
import { scanAggregates } from '../../load/scanAggregates.js';
import type { PipelineHealthHistoryAnswer } from '../../local/PipelineHealthHistory.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { sampleEvent } from '../helpers/events.js';
import { openHeadlessPage } from '../helpers/headlessChromium.js';
import { expectedAggregates, expectMatchesGroundTruth } from '../local/groundTruth.js';

/** Screenshots at the narrowest and widest width the page is laid out for (test-results/ is gitignored). */
const SCREENSHOT = (width: number) => `test-results/dashboard-${width}.png`;
/** Purchases: DE in the current minute, DE in the minute before, FR in the current minute, DE 24 h ago. */
const DE_NOW = 900;
const DE_BEFORE = 150;
const FR_NOW = 200;
const DE_YESTERDAY = 40;
/** Records of one unparsable line each, put straight on the stream: rejected as malformed_json. */
const MALFORMED_RECORDS = 3;
const DAY_MS = 86_400_000;
/** The page refreshes every 5 s; a poll waits two cycles at most. */
const POLL = { timeout: 12_000, interval: 100 };
/** Must match COUNT_STROKE in dashboard/app.js: the chart's count line, #4b5563. */
const COUNT_RGB = [0x4b, 0x55, 0x63] as const;
/** Records every text the page draws on a canvas (uPlot draws axis labels one line each). */
const RECORD_CANVAS_TEXT = `
  window.__canvasTexts = [];
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
    window.__canvasTexts.push(String(text));
    return fillText.call(this, text, ...rest);
  };
`;

/** The part of a browser canvas the chart check reads. */
interface BrowserCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  } | null;
}

/** The parts of a browser element the clipping check reads. */
interface BrowserBox {
  scrollWidth: number;
  clientWidth: number;
}

/** Amounts in quarters, exact in binary and decimal, so sums compare exactly. */
const quartersOf = (i: number) => 4 + ((i * 37) % 400);
const amountOf = (i: number) => quartersOf(i) / 4;
const minuteOf = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString();
/** Thousands separators, as the page prints counts: 1,050. */
const grouped = (n: number) => n.toLocaleString('en-US');

/** An exact sum of amounts given in quarters, printed as the page prints sums: `12,345.75`. */
function sumText(quarters: number): string {
  const fraction = ['', '.25', '.5', '.75'][quarters % 4] as string;
  return `${grouped(Math.floor(quarters / 4))}${fraction}`;
}

function purchases(count: number, country: string, time: string, offset: number) {
  return Array.from({ length: count }, (_, i) =>
    sampleEvent('purchase', {
      time,
      source: 'dashboard-test',
      data: { amount: amountOf(offset + i), country, orderId: `o-${country}-${offset + i}` },
    }),
  );
}

type PurchaseEvent = ReturnType<typeof purchases>[number];

/** The exact percentile the summary approximates: the value at rank floor(q·(n−1)). */
function exactPercentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

/** Significant digits of a printed figure: `278.7` has 4, `1,235` has 4, `0.04521` has 4. */
function significantDigits(text: string): number {
  const digits = text.replace(/[,.-]/g, '').replace(/^0+/, '');
  return digits.replace(/0+$/, '').length;
}

/** The exact figure behind a cell (`data-value`), as the API sent it. */
async function exactValueOf(page: Page, testid: string): Promise<string> {
  const value = await page.getByTestId(testid).first().getAttribute('data-value');
  if (value === null) throw new Error(`${testid} has no data-value`);
  return value;
}

const numberOf = async (page: Page, testid: string) => Number(await exactValueOf(page, testid));
const textOf = async (page: Page, testid: string) =>
  (await page.getByTestId(testid).first().textContent())?.trim() ?? '';

async function apiJson<T>(pipeline: LocalPipeline, path: string): Promise<T> {
  const response = await fetch(`${pipeline.httpUrl}${path}`);
  if (!response.ok) throw new Error(`GET ${path} answers ${response.status}`);
  return (await response.json()) as T;
}

interface SeriesBody {
  points: { bucket: string; count: number; sumDecimal?: string }[];
}

describe('dashboard in headless Chromium', () => {
  const config = loadConfig({ archive: { bufferingInterval: '1s' }, local: { demoRate: 0 } });
  const events: PurchaseEvent[] = [];
  let consoleErrors: string[] = [];
  let pipeline: LocalPipeline;
  let browser: Browser | undefined;
  let page: Page;
  let dashboardUrl: string;
  let nowMs: number;
  let nowBucket: string;
  let beforeBucket: string;

  beforeAll(async () => {
    // Prepare: the pipeline, and known purchases in this minute, the one before and 24 h ago
    pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0 });
    nowMs = Date.now();
    nowBucket = minuteOf(nowMs);
    beforeBucket = minuteOf(nowMs - 60_000);
    events.push(
      ...purchases(DE_NOW, 'DE', new Date(nowMs).toISOString(), 0),
      ...purchases(DE_BEFORE, 'DE', new Date(nowMs - 60_000).toISOString(), DE_NOW),
      ...purchases(FR_NOW, 'FR', new Date(nowMs).toISOString(), DE_NOW + DE_BEFORE),
      ...purchases(DE_YESTERDAY, 'DE', new Date(nowMs - DAY_MS).toISOString(), 5_000),
    );
    await Promise.all(events.map((event) => pipeline.producer.put(event)));
    for (let i = 0; i < MALFORMED_RECORDS; i++) {
      await pipeline.clients.kinesis.send(
        new PutRecordCommand({
          StreamName: config.stream.name,
          PartitionKey: `malformed-${i}`,
          Data: Buffer.from('{"type": "purchase", \n'),
        }),
      );
    }
    await pipeline.waitForDrain(30_000);
    dashboardUrl = `${pipeline.httpUrl}/`;

    ({
      browser,
      page,
      pageErrors: consoleErrors,
    } = await openHeadlessPage({ width: 1440, height: 900 }));
    await page.addInitScript({ content: RECORD_CANVAS_TEXT });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  it('serves the page and uPlot from the pipeline HTTP port', async () => {
    const [html, uplot] = await Promise.all([
      fetch(`${pipeline.httpUrl}/`),
      fetch(`${pipeline.httpUrl}/vendor/uplot/uPlot.esm.js`),
    ]);

    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await html.text()).toContain('<script type="module" src="/dashboard/app.js">');
    expect(uplot.status).toBe(200);
  });

  it('keeps a bookmarked group without events, with an empty state that says what to do', async () => {
    // Act: a bookmark of a group that never had an event, as in an outage
    await page.goto(`${dashboardUrl}#metric=revenue&window=1m&range=15m&group=country%3DXX`);
    // Two refreshes: the first one's answer and a live tick after it
    await expect.poll(() => page.evaluate('document.body.dataset.refreshed'), POLL).toBe('2');

    // Assess: still that group, in the URL, the heading, the list and the empty state
    expect(new URL(page.url()).hash).toContain('group=country%3DXX');
    expect(await textOf(page, 'chart-heading')).toBe('revenue · country=XX · 1m buckets');
    const chosen = page.getByTestId('group-button').filter({ hasText: 'country=XX' });
    expect(await chosen.getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('empty-state').isVisible()).toBe(true);
    expect(await textOf(page, 'empty-state')).toBe(
      'No events for country=XX in the last 15 min. revenue has never had an event in this ' +
        'group (the API answers: unknown group). If it should have events, check what sends ' +
        'them; otherwise choose "all groups" or another group, or a longer range.',
    );
    expect(await numberOf(page, 'total-count')).toBe(0);
    expect(await page.getByTestId('latest-rows').locator('tr').count()).toBe(0);
  });

  it('follows a hash changed in the open tab', async () => {
    // Act
    await page.evaluate("location.hash = '#metric=revenue&window=1m&range=15m&group=country%3DDE'");

    // Assess
    await expect.poll(() => textOf(page, 'chart-heading'), POLL).toContain('country=DE');
    await expect
      .poll(() => page.getByTestId('latest-bucket').getAttribute('data-value'), POLL)
      .toBe(nowBucket);
    expect(await page.getByTestId('empty-state').isVisible()).toBe(false);
  });

  it('shows the stored figures of a group, equal to the ground truth, at meaningful precision', async () => {
    // Prepare: the stored aggregates equal those computed from the events
    const stored = await scanAggregates(pipeline.clients.dynamodb, config.table.name);
    expectMatchesGroundTruth(stored, expectedAggregates(config, events));
    const item = stored.get(`revenue#country=DE|1m#${nowBucket}`) as AggregateFigures;
    const summary = summarizeAggregate(item);
    const now = events.filter(
      (e) => e.data.country === 'DE' && minuteOf(Date.parse(e.time)) === nowBucket,
    );
    const amounts = now.map((e) => e.data.amount);
    const quarters = amounts.reduce((sum, amount) => sum + amount * 4, 0);

    // Assess: counts and sums exact, in figures and in print
    expect(await numberOf(page, 'latest-count')).toBe(DE_NOW);
    expect(await textOf(page, 'latest-count')).toBe(grouped(DE_NOW));
    expect(await exactValueOf(page, 'latest-sum')).toBe(item.sum);
    expect(await textOf(page, 'latest-sum')).toBe(sumText(quarters));
    expect(await numberOf(page, 'latest-min')).toBe(Math.min(...amounts));
    expect(await numberOf(page, 'latest-max')).toBe(Math.max(...amounts));
    // avg and percentiles: 4 significant digits printed, the API's figure behind them
    expect(await numberOf(page, 'latest-avg')).toBe(summary.avg);
    expect(significantDigits(await textOf(page, 'latest-avg'))).toBeLessThanOrEqual(4);
    for (const stat of ['p50', 'p90', 'p99'] as const) {
      const shown = await numberOf(page, `latest-${stat}`);
      expect(shown, stat).toBe(summary[stat]);
      const printed = await textOf(page, `latest-${stat}`);
      expect(significantDigits(printed), `${stat} printed as ${printed}`).toBeLessThanOrEqual(4);
      expect(Math.abs(Number(printed.replace(/,/g, '')) - shown)).toBeLessThanOrEqual(shown * 5e-4);
      const exact = exactPercentile(amounts, PERCENTILE_QUANTILES[stat]);
      expect(Math.abs(shown - exact), stat).toBeLessThanOrEqual(exact * 0.01);
    }
    expect(await numberOf(page, 'total-count')).toBe(DE_NOW + DE_BEFORE);
    expect(await textOf(page, 'total-count')).toBe('1,050');
    const deQuarters = events
      .filter((e) => e.data.country === 'DE' && Date.parse(e.time) > nowMs - DAY_MS / 2)
      .reduce((sum, e) => sum + e.data.amount * 4, 0);
    expect(await textOf(page, 'total-sum')).toBe(sumText(deQuarters));
    expect(await numberOf(page, 'total-buckets')).toBe(2);
  });

  it('marks the open bucket partial and gives rates per second', async () => {
    const rows = page.getByTestId('latest-rows').locator('tr');
    // The page's clock: a bucket is open only while it reads inside it. What is drawn is
    // checked only when the clock was inside before and after the reads, so a minute or an
    // hour turning over between them skips the check instead of failing it.
    const pageNow = async () => Number(await page.evaluate('Date.now()'));
    const minuteOpen = async () =>
      Math.floor((await pageNow()) / 60_000) * 60_000 === Date.parse(nowBucket);

    // The closed bucket: 150 events in 60 s
    const before = rows.nth(1);
    expect(await before.locator('th').getAttribute('data-value')).toBe(beforeBucket);
    expect(await before.locator('td').nth(1).getAttribute('data-value')).toBe(
      String(DE_BEFORE / 60),
    );
    expect(await before.locator('td').nth(1).textContent()).toBe('2.5');
    expect(await before.getByTestId('open-bucket').count()).toBe(0);
    // The current minute, while open: marked, its rate over the seconds so far
    const openBefore = await minuteOpen();
    const minuteBadges = await rows.first().getByTestId('open-bucket').allTextContents();
    const minuteRate = await numberOf(page, 'latest-rate');
    if (openBefore && (await minuteOpen())) {
      expect(minuteBadges).toEqual(['open']);
      expect(minuteRate).toBeGreaterThan(DE_NOW / 60);
    }
    // The current hour: open but in the last minute of an hour, so this is checked every run
    await page.getByTestId('window-select').selectOption('1h');
    await expect.poll(() => textOf(page, 'chart-heading'), POLL).toContain('1h buckets');
    const hourOpen = async () =>
      Math.floor((await pageNow()) / 3_600_000) === Math.floor(nowMs / 3_600_000);
    const hourOpenBefore = await hourOpen();
    const hourBadges = await rows.first().getByTestId('open-bucket').allTextContents();
    const hourCount = await numberOf(page, 'latest-count');
    const hourRate = await numberOf(page, 'latest-rate');
    if (hourOpenBefore && (await hourOpen())) {
      expect(hourBadges).toEqual(['open']);
      const hourStart = Math.floor(nowMs / 3_600_000) * 3_600_000;
      const inHour = events.filter(
        (e) => e.data.country === 'DE' && Date.parse(e.time) >= hourStart,
      ).length;
      expect(hourCount).toBe(inHour);
      // Its rate: the events over the seconds of the hour so far, not over 3,600 s
      expect(hourRate).toBeGreaterThanOrEqual(inHour / ((Date.now() - hourStart) / 1_000));
    }
    await page.getByTestId('window-select').selectOption('1m');
    await expect.poll(() => textOf(page, 'chart-heading'), POLL).toContain('1m buckets');
    expect(await textOf(page, 'legend-note')).toContain('The shaded bucket is still open');

    // Act: counts per second on the chart
    await page.getByTestId('unit-select').selectOption('second');
    await expect
      .poll(() => page.getByTestId('chart').getAttribute('data-lines'), POLL)
      .toBe('events/s|avg|p50|p90|p99');
    await page.getByTestId('unit-select').selectOption('bucket');
    await expect
      .poll(() => page.getByTestId('chart').getAttribute('data-lines'), POLL)
      .toBe('count|avg|p50|p90|p99');
  });

  it('overlays the same range yesterday, with the counts of 24 h ago', async () => {
    // Prepare: what the API holds for yesterday's range
    const since = new Date(nowMs - 15 * 60_000 - DAY_MS).toISOString();
    const until = new Date(nowMs + 60_000 - DAY_MS).toISOString();
    const yesterday = await apiJson<SeriesBody>(
      pipeline,
      `/api/series?metric=revenue&group=country%3DDE&since=${since}&until=${until}`,
    );
    expect(yesterday.points.map((p) => p.count)).toEqual([DE_YESTERDAY]);

    // Act
    await page.getByTestId('yesterday-toggle').check();

    // Assess
    await expect.poll(() => numberOf(page, 'total-yesterday'), POLL).toBe(DE_YESTERDAY);
    expect(await numberOf(page, 'latest-yesterday')).toBe(DE_YESTERDAY);
    expect(await page.getByTestId('chart').getAttribute('data-lines')).toBe(
      'count|avg|p50|p90|p99|count, same time yesterday',
    );
    expect(new URL(page.url()).hash).toContain('yesterday=1');
    await page.getByTestId('yesterday-toggle').uncheck();
    await expect.poll(() => page.getByTestId('total-yesterday-wrap').isVisible(), POLL).toBe(false);
  });

  it('shows the total of all groups, the groups by name and the top groups, all agreeing', async () => {
    // Act
    await page.getByTestId('group-button').filter({ hasText: 'all groups' }).click();
    await expect.poll(() => textOf(page, 'chart-heading'), POLL).toContain('all groups (total)');
    await expect.poll(() => numberOf(page, 'total-count'), POLL).toBe(DE_NOW + DE_BEFORE + FR_NOW);

    // Assess: the API's total series, and the ground truth
    const total = await apiJson<SeriesBody>(pipeline, '/api/series?metric=revenue&since=15m');
    expect(total.points.reduce((sum, p) => sum + p.count, 0)).toBe(DE_NOW + DE_BEFORE + FR_NOW);
    expect(await numberOf(page, 'latest-count')).toBe(DE_NOW + FR_NOW);
    expect(await exactValueOf(page, 'latest-sum')).toBe(total.points.at(-1)?.sumDecimal);
    // The list by name, the top by count, the same figures in both and in the total
    expect(await page.getByTestId('group-button').allTextContents()).toEqual([
      'all groups (total)1,250',
      'country=DE1,050',
      'country=FR200',
    ]);
    expect(await page.getByTestId('top-rows').locator('tr').allTextContents()).toEqual([
      'country=DE1,050',
      'country=FR200',
    ]);
    expect(new URL(page.url()).hash).not.toContain('group=');
  });

  it('overlays the top groups with the total', async () => {
    await page.getByTestId('view-select').selectOption('top');

    await expect
      .poll(() => page.getByTestId('chart').getAttribute('data-lines'), POLL)
      .toBe('total count|country=DE|country=FR');
    await page.getByTestId('view-select').selectOption('series');
    await expect
      .poll(() => page.getByTestId('chart').getAttribute('data-lines'), POLL)
      .toBe('count|avg|p50|p90|p99');
  });

  it('writes every time in one format, UTC and 24-hour: axis, legend and table', async () => {
    // Act: hover the chart, so the legend shows a bucket
    const box = await page.getByTestId('chart').locator('.u-over').boundingBox();
    expect(box).not.toBeNull();
    await page.mouse.move(
      (box?.x ?? 0) + (box?.width ?? 0) - 5,
      (box?.y ?? 0) + (box?.height ?? 0) / 2,
    );

    // Assess
    const legend = await page
      .getByTestId('chart')
      .locator('.u-legend .u-series')
      .first()
      .locator('.u-value')
      .textContent();
    expect(legend).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(await textOf(page, 'latest-bucket')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d/);
    const drawn = (await page.evaluate('window.__canvasTexts')) as string[];
    const times = drawn.filter((text) => /\d:\d/.test(text));
    expect(times.length).toBeGreaterThan(3);
    for (const text of times) expect(text).toMatch(/^\d\d:\d\d(:\d\d)?$/);
    expect(drawn.filter((text) => /\b(am|pm)\b|\d\/\d/i.test(text))).toEqual([]);
    await page.mouse.move(0, 0);
  });

  it('says "right axis" only when there are two axes', async () => {
    expect(await textOf(page, 'legend-note')).toContain(
      'Count per bucket on the right axis; average and percentiles on the left.',
    );

    // Act: a count-only metric
    await page.getByTestId('metric-select').selectOption('events');

    // Assess
    await expect.poll(() => textOf(page, 'chart-heading'), POLL).toContain('events ·');
    await expect
      .poll(() => page.getByTestId('chart').getAttribute('data-lines'), POLL)
      .toBe('count');
    expect(await textOf(page, 'legend-note')).not.toContain('axis');
    await page.getByTestId('metric-select').selectOption('revenue');
    await expect.poll(() => textOf(page, 'chart-heading'), POLL).toContain('revenue ·');
  });

  it('shows the pipeline health and its history, equal to the API and the events sent', async () => {
    // Prepare
    const history = await apiJson<PipelineHealthHistoryAnswer>(pipeline, '/api/health/history');
    const status = pipeline.status();

    // Assess: the counters, against the pipeline and what the test sent
    await expect.poll(() => numberOf(page, 'health-produced'), POLL).toBe(status.produced);
    expect(status.produced).toBe(events.length);
    expect(await numberOf(page, 'health-aggregated')).toBe(events.length);
    expect(await numberOf(page, 'health-rejected')).toBe(MALFORMED_RECORDS);
    expect(history.totals?.rejectedByCode).toEqual({ malformed_json: MALFORMED_RECORDS });
    expect(await numberOf(page, 'health-on-failure')).toBe(0);
    expect(await numberOf(page, 'health-archive-objects')).toBe(status.archiveObjects);
    expect(status.archiveObjects).toBeGreaterThan(0);
    expect(await textOf(page, 'health-archive-age')).toMatch(/^\d+ s ago$|min ago$/);
    expect(await textOf(page, 'health-group-caps')).toBe('none');
    expect(await page.getByTestId('health-faults').isVisible()).toBe(false);
    // JSON archives convert nothing, so the Parquet conversion failures are not shown
    expect(await page.getByTestId('health-conversion-failures').isVisible()).toBe(false);
    expect(await page.getByTestId('health-stale').isVisible()).toBe(false);
    // The charts: a line per shard, per reject code, and the counters over time
    const shards = pipeline
      .shardProgress()
      .map((p) => p.shardId)
      .sort();
    expect(await page.getByTestId('history-lag').getAttribute('data-lines')).toBe(shards.join('|'));
    await expect
      .poll(() => page.getByTestId('history-rejects').getAttribute('data-lines'), POLL)
      .toBe('malformed_json');
    expect(await page.getByTestId('history-throughput').getAttribute('data-lines')).toBe(
      'produced/s|folded/s (replays incl.)',
    );
    const samples = history.samples.length;
    expect(samples).toBeGreaterThan(5);
    expect(samples).toBeLessThanOrEqual(history.capacity);
    // Over the history, the folds per second times the seconds between samples add up to
    // the events folded (up to the rates' rounding to 0.1/s)
    const folded = history.samples.reduce(
      (sum, s, i) =>
        sum +
        (s.foldedPerSecond ?? 0) *
          ((Date.parse(s.at) - Date.parse(history.samples[i - 1]?.at ?? s.at)) / 1_000),
      0,
    );
    expect(Math.abs(folded - events.length)).toBeLessThanOrEqual(samples * 0.1);
    expect(await page.getByTestId('history-archive').getAttribute('data-lines')).toBe(
      'age of newest object, s',
    );
  });

  it('shows the faults injected when the pipeline runs with chaos', async () => {
    // Prepare: the history as a --chaos pipeline answers it
    const faults = {
      dynamodbThrottles: 3,
      dynamodbServerErrors: 1,
      kinesisThrottles: 0,
      kinesisEntryFailures: 2,
      handlerCrashes: 1,
      handlerTimeouts: 0,
      duplicateDeliveries: 4,
    };
    await page.route('**/api/health/history', async (route) => {
      const answer = (await (await route.fetch()).json()) as PipelineHealthHistoryAnswer;
      await route.fulfill({
        json: {
          ...answer,
          chaos: true,
          samples: answer.samples.map((s) => ({ ...s, faults })),
          totals: { ...answer.totals, faults },
        },
      });
    });

    // Act: any change of a control refreshes at once
    await page.getByTestId('unit-select').selectOption('second');

    // Assess
    await expect.poll(() => page.getByTestId('health-faults').isVisible(), POLL).toBe(true);
    expect(await numberOf(page, 'health-faults')).toBe(11);
    expect(await textOf(page, 'health-faults')).toBe(
      '11 (DynamoDB throttles 3 · DynamoDB 500s 1 · PutRecords entry failures 2 · handler crashes 1 · duplicate deliveries 4)',
    );
    expect(await page.getByTestId('history-faults').isVisible()).toBe(true);
    await page.unroute('**/api/health/history');
    await page.getByTestId('unit-select').selectOption('bucket');
    await expect.poll(() => page.getByTestId('health-faults').isVisible(), POLL).toBe(false);
  });

  it('marks every figure stale while the API does not answer, and fresh once it does', async () => {
    const countBefore = await numberOf(page, 'total-count');

    // Act: the API stops answering
    await page.route('**/api/**', (route) => route.abort());
    await page.getByTestId('unit-select').selectOption('second');

    // Assess
    await expect.poll(() => page.evaluate('document.body.dataset.stale'), POLL).toBe('true');
    expect(await textOf(page, 'status')).toMatch(
      /^Stale: no answer since \d\d:\d\d:\d\d UTC; figures below are from then\. Retrying\.$/,
    );
    expect(await page.getByTestId('health-stale').isVisible()).toBe(true);
    expect(await page.getByTestId('history-stale').isVisible()).toBe(true);
    expect(await numberOf(page, 'total-count')).toBe(countBefore);

    // Act: it answers again
    await page.unroute('**/api/**');
    await page.getByTestId('unit-select').selectOption('bucket');
    await expect.poll(() => page.evaluate('document.body.dataset.stale'), POLL).toBe('false');
    expect(await page.getByTestId('health-stale').isVisible()).toBe(false);
    expect(await textOf(page, 'status')).toMatch(/^Updated \d\d:\d\d:\d\d UTC · live$/);
  });

  it.each([1024, 1440])('clips nothing at %i px and saves a screenshot', async (width) => {
    // Act
    await page.setViewportSize({ width, height: 900 });
    await page.getByTestId('group-button').filter({ hasText: 'country=DE' }).click();
    await expect.poll(() => textOf(page, 'chart-heading'), POLL).toContain('country=DE');

    // Assess: no box scrolls sideways, the page included
    for (const testid of ['table-wrap', 'groups', 'top-table', 'health', 'history']) {
      const box = await page.getByTestId(testid).evaluate((element) => {
        const { scrollWidth, clientWidth } = element as unknown as BrowserBox;
        return { scrollWidth, clientWidth };
      });
      expect(box.scrollWidth, `${testid} at ${width} px`).toBeLessThanOrEqual(box.clientWidth);
    }
    const pageBox = (await page.evaluate(
      '({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })',
    )) as BrowserBox;
    expect(pageBox.scrollWidth).toBeLessThanOrEqual(pageBox.clientWidth);
    // Every column of the table is in view
    const p99 = await page.getByTestId('latest-p99').boundingBox();
    expect((p99?.x ?? width) + (p99?.width ?? 0)).toBeLessThanOrEqual(width);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT(width), fullPage: true });
    expect(existsSync(SCREENSHOT(width))).toBe(true);
  });

  it('draws the chart: a uPlot canvas with the count line on it', async () => {
    const chart = page.getByTestId('chart');

    const drawn = await chart.locator('.uplot canvas').evaluate((element, rgb) => {
      // Runs in the page; typed structurally because the project compiles without the DOM library.
      const canvas = element as unknown as BrowserCanvas;
      const context = canvas.getContext('2d');
      const pixels = context?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      let countPixels = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const near = (k: number) => Math.abs((pixels[i + k] ?? 0) - (rgb[k] ?? 0)) <= 8;
        if (near(0) && near(1) && near(2) && (pixels[i + 3] ?? 0) > 200) countPixels++;
      }
      return { width: canvas.width, countPixels };
    }, COUNT_RGB);

    expect(await chart.getAttribute('data-points')).toBe('2');
    expect(drawn.width).toBeGreaterThan(300);
    expect(drawn.countPixels).toBeGreaterThan(20);
  });

  it('refreshes live: new events show up without a reload', async () => {
    // Act: 30 more purchases from DE, now
    const late = purchases(30, 'DE', new Date().toISOString(), 10_000);
    events.push(...late);
    await Promise.all(late.map((event) => pipeline.producer.put(event)));
    await pipeline.waitForDrain(30_000);

    // Assess
    await expect.poll(() => numberOf(page, 'total-count'), POLL).toBe(DE_NOW + DE_BEFORE + 30);
    // The only errors: the unknown group's 404 and the requests refused in the stale test.
    expect(consoleErrors.filter((text) => !/404 \(Not Found\)|net::ERR_FAILED/.test(text))).toEqual(
      [],
    );
  });
});
