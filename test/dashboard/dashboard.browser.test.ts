import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import { summarizeAggregate } from '../../core/aggregates/summarizeAggregate.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { PERCENTILE_QUANTILES } from '../../core/config/metricStats.js';
import { scanAggregates } from '../../load/scanAggregates.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { sampleEvent } from '../helpers/events.js';
import { expectedAggregates, expectMatchesGroundTruth } from '../local/groundTruth.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const SCREENSHOT = 'test-results/dashboard.png';
/** Purchases from DE in the current minute, DE in the minute before, FR in the current minute. */
const DE_NOW = 500;
const DE_BEFORE = 120;
const FR_NOW = 200;
/** Must match COUNT_STROKE in dashboard/app.js: the chart's count line, #4b5563. */
const COUNT_RGB = [0x4b, 0x55, 0x63] as const;

/** The part of a browser canvas the chart check reads. */
interface BrowserCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  } | null;
}

/** Amounts in quarters, exact in binary and decimal, so sums compare exactly. */
const amountOf = (i: number) => 1 + ((i * 37) % 400) * 0.25;
const minuteOf = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString();

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

/** The numbers a cell shows (the page prints plain decimals, no grouping). */
async function cellNumber(page: Page, testid: string): Promise<number> {
  const text = await page.getByTestId(testid).first().textContent();
  const value = Number(text);
  if (text === null || text.trim() === '' || Number.isNaN(value)) {
    throw new Error(`cell ${testid} shows ${JSON.stringify(text)}, not a number`);
  }
  return value;
}

/** `actual` equals `expected` up to the 10 significant digits the page prints. */
function expectSameFigure(actual: number, expected: number | undefined, what: string): void {
  expect(expected, what).toBeDefined();
  expect(Math.abs(actual - (expected as number)), what).toBeLessThanOrEqual(
    Math.abs(expected as number) * 1e-9,
  );
}

describe('dashboard in headless Chromium', () => {
  const config = loadConfig({ archive: { bufferingInterval: '1s' }, local: { demoRate: 0 } });
  const events: PurchaseEvent[] = [];
  const consoleErrors: string[] = [];
  let pipeline: LocalPipeline;
  let browser: Browser | undefined;
  let page: Page;
  let dashboardUrl: string;
  let nowBucket: string;
  let beforeBucket: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}; the dashboard test needs it (apt-get install -y chromium)`,
      );
    }
    // Prepare: the pipeline, and known purchases in this minute and the one before
    pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0 });
    const now = Date.now();
    nowBucket = minuteOf(now);
    beforeBucket = minuteOf(now - 60_000);
    const time = new Date(now).toISOString();
    events.push(
      ...purchases(DE_NOW, 'DE', time, 0),
      ...purchases(DE_BEFORE, 'DE', new Date(now - 60_000).toISOString(), DE_NOW),
      ...purchases(FR_NOW, 'FR', time, DE_NOW + DE_BEFORE),
    );
    await Promise.all(events.map((event) => pipeline.producer.put(event)));
    await pipeline.waitForDrain(30_000);

    const probe = await fetch(`${pipeline.httpUrl}/api/metrics`);
    if (!probe.ok)
      throw new Error(`GET /api/metrics on the local pipeline answers ${probe.status}`);
    dashboardUrl = `${pipeline.httpUrl}/`;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
  }, 60_000);

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

  it('shows the stored figures of the chosen metric and group, equal to the ground truth', async () => {
    // Prepare: the stored aggregates equal those computed from the events
    const stored = await scanAggregates(pipeline.clients.dynamodb, config.table.name);
    const expected = expectedAggregates(config, events);
    expectMatchesGroundTruth(stored, expected);
    const item = stored.get(`revenue#country=DE|1m#${nowBucket}`) as AggregateFigures;
    const before = stored.get(`revenue#country=DE|1m#${beforeBucket}`) as AggregateFigures;
    const summary = summarizeAggregate(item);

    // Act
    await page.goto(dashboardUrl);
    await page.getByTestId('metric-select').selectOption('revenue');
    await page.getByTestId('group-button').filter({ hasText: 'country=DE' }).click();
    await expect
      .poll(() => page.getByTestId('chart-heading').textContent())
      .toContain('country=DE');
    await expect
      .poll(() => page.getByTestId('latest-bucket').getAttribute('data-value'))
      .toBe(nowBucket);

    // Assess: the latest bucket against the table and the ground truth
    const amounts = events
      .filter((e) => e.data.country === 'DE' && minuteOf(Date.parse(e.time)) === nowBucket)
      .map((e) => e.data.amount);
    expect(await cellNumber(page, 'latest-count')).toBe(item.count);
    expect(await cellNumber(page, 'latest-count')).toBe(DE_NOW);
    expect(await cellNumber(page, 'latest-sum')).toBe(Number(item.sum));
    expect(await cellNumber(page, 'latest-sum')).toBe(amounts.reduce((a, b) => a + b, 0));
    expect(await cellNumber(page, 'latest-min')).toBe(Math.min(...amounts));
    expect(await cellNumber(page, 'latest-max')).toBe(Math.max(...amounts));
    expectSameFigure(await cellNumber(page, 'latest-avg'), summary.avg, 'avg');
    for (const stat of ['p50', 'p90', 'p99'] as const) {
      const shown = await cellNumber(page, `latest-${stat}`);
      expectSameFigure(shown, summary[stat], stat);
      const exact = exactPercentile(amounts, PERCENTILE_QUANTILES[stat]);
      expect(Math.abs(shown - exact), stat).toBeLessThanOrEqual(exact * 0.01);
    }
    expect(await cellNumber(page, 'total-count')).toBe(DE_NOW + DE_BEFORE);
    expect(await cellNumber(page, 'total-count')).toBe(item.count + before.count);
    // Quarters: exact in binary, so the numbers add exactly too.
    expect(await cellNumber(page, 'total-sum')).toBe(Number(item.sum) + Number(before.sum));
    expect(await cellNumber(page, 'total-buckets')).toBe(2);
  });

  it('lists the groups by count and the pipeline health', async () => {
    const groups = await page.getByTestId('group-button').allTextContents();
    const top = await page.getByTestId('top-rows').locator('tr').allTextContents();

    expect(groups).toEqual([`country=DE${DE_NOW + DE_BEFORE}`, `country=FR${FR_NOW}`]);
    expect(top).toEqual(groups);
    expect(
      await page.getByTestId('group-button').first().getAttribute('aria-pressed'),
      'the chosen group is marked',
    ).toBe('true');
    await expect.poll(() => cellNumber(page, 'health-produced')).toBe(pipeline.status().produced);
    expect(await cellNumber(page, 'health-aggregated')).toBe(events.length);
    expect(await cellNumber(page, 'health-rejected')).toBe(0);
    expect(await cellNumber(page, 'health-on-failure')).toBe(0);
    expect(await cellNumber(page, 'health-archive-objects')).toBe(pipeline.status().archiveObjects);
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
    await expect
      .poll(() => cellNumber(page, 'total-count'), { timeout: 8_000 })
      .toBe(DE_NOW + DE_BEFORE + 30);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(consoleErrors).toEqual([]);
  });
});
