import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { GroupCapHealth } from '../../local/http/readGroupCapHealth.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { sampleEvent } from '../helpers/events.js';

const CAP = 5;
const CATEGORIES = 12;
/** Each made-up category twice: 5 are admitted, the other 7 groups' 14 events fold into __other__. */
const OVER_CAP = 2 * (CATEGORIES - CAP);
/** cart_quantity capped at 5; revenue (default cap) sees one country and stays below it. */
const config: StreamfoldConfig = loadConfig({
  local: { demoRate: 0 },
  metrics: [
    {
      name: 'cart_quantity',
      on: 'add_to_cart',
      value: 'data.quantity',
      groupBy: ['data.category'],
      maxGroups: CAP,
      stats: ['count', 'sum'],
      windows: ['1m'],
    },
    {
      name: 'revenue',
      on: 'purchase',
      value: 'data.amount',
      groupBy: ['data.country'],
      stats: ['count', 'sum'],
      windows: ['1m'],
    },
  ],
});

const flood = (round: number) =>
  Array.from({ length: 2 * CATEGORIES }, (_, i) =>
    sampleEvent('add_to_cart', {
      data: { category: `made-up-${round}-${i % CATEGORIES}`, quantity: 1 },
    }),
  );

let pipeline: LocalPipeline;
/** What the process wrote to stdout and stderr (the handler's Powertools log lines among it). */
const output: string[] = [];

async function health(): Promise<{ groupCaps?: GroupCapHealth[] }> {
  const response = await fetch(`${pipeline.httpUrl}/api/health`);
  expect(response.status).toBe(200);
  return (await response.json()) as { groupCaps?: GroupCapHealth[] };
}

/** The handler's JSON log lines warning about a full cap. */
function capWarnings(): Record<string, unknown>[] {
  return output
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{') && line.includes('has reached its group cap'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  pipeline = await startLocalPipeline({ config, ephemeralPorts: true });
}, 90_000);

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('group cap on the local runtime (startLocalPipeline)', () => {
  it('reports every capped metric with room left on /api/health before any event', async () => {
    // Act
    const body = await health();

    // Assess
    expect(body.groupCaps).toEqual([
      {
        metric: 'cart_quantity',
        groups: 0,
        maxGroups: CAP,
        full: false,
        eventsOverGroupCap: 0,
        setting: 'metrics.0.maxGroups',
      },
      {
        metric: 'revenue',
        groups: 0,
        maxGroups: 1_000,
        full: false,
        eventsOverGroupCap: 0,
        setting: 'metrics.1.maxGroups',
      },
    ]);
  });

  it('shows the flooded cap full with the events folded into __other__, and warns once', async () => {
    // Prepare
    // Powertools writes warnings to stderr.
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      });
    }

    // Act: two floods of made-up categories, drained one after the other (two or more batches)
    for (const round of [1, 2]) {
      await Promise.all(flood(round).map((event) => pipeline.producer.put(event)));
      await pipeline.producer.put(sampleEvent('purchase', { data: { country: 'DE' } }));
      await pipeline.waitForDrain(60_000);
    }
    const body = await health();

    // Assess
    expect(body.groupCaps).toEqual([
      {
        metric: 'cart_quantity',
        groups: CAP,
        maxGroups: CAP,
        full: true,
        // The second round's categories are all new: every one of its events is over the cap.
        eventsOverGroupCap: OVER_CAP + 2 * CATEGORIES,
        setting: 'metrics.0.maxGroups',
      },
      {
        metric: 'revenue',
        groups: 1,
        maxGroups: 1_000,
        full: false,
        eventsOverGroupCap: 0,
        setting: 'metrics.1.maxGroups',
      },
    ]);
    const warnings = capWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 'WARN',
      metric: 'cart_quantity',
      maxGroups: CAP,
      setting: 'metrics.0.maxGroups',
    });
    expect(warnings[0]?.message).toContain(
      'metric cart_quantity has reached its group cap of 5: events of further groups fold into __other__. Raise metrics.0.maxGroups',
    );
  });
});
