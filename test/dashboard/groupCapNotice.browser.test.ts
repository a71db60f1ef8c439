import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { sampleEvent } from '../helpers/events.js';
import { openHeadlessPage } from '../helpers/headlessChromium.js';

const CAP = 2;
/** revenue capped at 2 countries, so a third country fills it. */
const config: StreamfoldConfig = loadConfig({
  local: { demoRate: 0 },
  metrics: [
    {
      name: 'revenue',
      on: 'purchase',
      value: 'data.amount',
      groupBy: ['data.country'],
      maxGroups: CAP,
      stats: ['count', 'sum'],
      windows: ['1m'],
    },
  ],
});

const purchase = (country: string) => sampleEvent('purchase', { data: { country, amount: 10 } });

describe('dashboard group cap notice in headless Chromium', () => {
  let pageErrors: string[] = [];
  let pipeline: LocalPipeline;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    pipeline = await startLocalPipeline({ config, ephemeralPorts: true });
    // One country first, so the page has a group to show while the cap still has room.
    await pipeline.producer.put(purchase('DE'));
    await pipeline.waitForDrain(30_000);
    ({ browser, page, pageErrors } = await openHeadlessPage({ width: 1280, height: 800 }));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  it('shows no notice while every cap has room', async () => {
    // Act
    await page.goto(`${pipeline.httpUrl}/`);
    await expect
      .poll(() => page.getByTestId('health-aggregated').textContent(), { timeout: 15_000 })
      .toBe('1');

    // Assess
    expect(await page.getByTestId('group-cap-notice').isVisible()).toBe(false);
  });

  it('shows a notice naming the metric, the cap and the setting once a cap is full', async () => {
    // Act: FR takes the second place, IT is refused (twice) and folds into __other__. FR is
    // folded before IT is sent: records on two shards are folded concurrently, so sent
    // together either country could take the last place.
    await pipeline.producer.put(purchase('FR'));
    await pipeline.waitForDrain(30_000);
    for (const country of ['IT', 'IT']) await pipeline.producer.put(purchase(country));
    await pipeline.waitForDrain(30_000);

    // Assess: the live refresh (every 5 s) picks it up
    const notice = page.getByTestId('group-cap-notice');
    await expect.poll(() => notice.isVisible(), { timeout: 15_000 }).toBe(true);
    // The notice may first show a count drawn before the drain; the next refresh brings the rest.
    await expect
      .poll(() => notice.textContent(), { timeout: 15_000 })
      .toBe(
        `Group cap full: revenue uses all ${CAP} groups; 2 events of new groups counted in ` +
          '__other__ since start. Raise metrics.0.maxGroups to keep new groups apart.',
      );
    expect(pageErrors).toEqual([]);
  });
});
