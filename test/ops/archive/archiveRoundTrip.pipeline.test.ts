import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { canonicalDecimal, DecimalSum } from '../../../core/decimal/index.js';
import { sampleEventGenerator } from '../../../examples/web-shop/sampleEvents.js';
import { type LocalPipeline, startLocalPipeline } from '../../../local/startLocalPipeline.js';
import { parseArchiveArgs } from '../../../ops/archive/parseArchiveArgs.js';
import { runArchiveCommand } from '../../../ops/archive/runArchiveCommand.js';
import { seededRandom } from '../../helpers/seededRandom.js';

const EVENT_COUNT = 3_000;
const config = loadConfig({ archive: { bufferingInterval: '1s' }, local: { demoRate: 0 } });
type SampleEvent = ReturnType<ReturnType<typeof sampleEventGenerator>>;

let pipeline: LocalPipeline;
let cacheDir: string;
const events: SampleEvent[] = [];

async function archiveJson(argv: string[]): Promise<Record<string, unknown>[]> {
  let out = '';
  let err = '';
  const code = await runArchiveCommand(
    parseArchiveArgs([...argv, '--format', 'json', '--cache-dir', cacheDir]),
    {
      config,
      connect: async () => ({
        description: 'local pipeline',
        s3: pipeline.clients.s3,
        bucket: config.archive.bucketName,
        close: () => undefined,
      }),
      out: { write: (text: string) => (out += text) },
      err: { write: (text: string) => (err += text) },
    },
  );
  expect(err).not.toMatch(/Error/);
  expect(code).toBe(0);
  return JSON.parse(out) as Record<string, unknown>[];
}

function purchases(): { time: string; country: string; amount: number }[] {
  return events.flatMap((event) =>
    event.type === 'purchase'
      ? [{ time: event.time, country: event.data.country, amount: event.data.amount }]
      : [],
  );
}

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'archive-round-trip-'));
  pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0 });
  const next = sampleEventGenerator({ source: 'archive-test', random: seededRandom(7) });
  const acks: Promise<unknown>[] = [];
  for (let i = 0; i < EVENT_COUNT; i++) {
    const event = next();
    events.push(event);
    acks.push(pipeline.producer.put(event));
  }
  await Promise.all(acks);
  await pipeline.waitForDrain(60_000);
}, 90_000);

afterAll(async () => {
  await pipeline?.stop();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe('archive round trip through the local pipeline', () => {
  it('counts every archived event per type', async () => {
    // Act
    const rows = await archiveJson([
      'query',
      'SELECT type, count(*) AS n FROM events GROUP BY 1 ORDER BY 1',
      '--since',
      '1h',
    ]);

    // Assess
    const expected = new Map<string, number>();
    for (const event of events) expected.set(event.type, (expected.get(event.type) ?? 0) + 1);
    expect(rows).toEqual(
      [...expected].sort(([a], [b]) => (a < b ? -1 : 1)).map(([type, n]) => ({ type, n })),
    );
  });

  it('sums revenue per country as the events add up', async () => {
    // Act
    const rows = await archiveJson([
      'query',
      "SELECT data.country AS country, count(*) AS n, sum(data.amount) AS revenue FROM events WHERE type = 'purchase' GROUP BY 1 ORDER BY 1",
      '--since',
      '1h',
      '--dedupe',
    ]);

    // Assess
    const expected = new Map<string, { n: number; revenue: number }>();
    for (const { country, amount } of purchases()) {
      const entry = expected.get(country) ?? { n: 0, revenue: 0 };
      entry.n++;
      entry.revenue += amount;
      expected.set(country, entry);
    }
    expect(rows.map((row) => row.country)).toEqual([...expected.keys()].sort());
    for (const row of rows) {
      const want = expected.get(row.country as string);
      expect(row.n).toBe(want?.n);
      expect(row.revenue as number).toBeCloseTo(want?.revenue ?? Number.NaN, 6);
    }
  });

  it('runs the saved revenue query locally and matches a hand computation', async () => {
    // Act
    const rows = await archiveJson(['query', '--named', 'revenue']);

    // Assess: per event-time hour (UTC) and country; percentiles by nearest rank.
    const groups = new Map<string, number[]>();
    for (const { time, country, amount } of purchases()) {
      const hour = `${time.slice(0, 10)} ${time.slice(11, 13)}:00:00+00`;
      const key = `${hour}|${country}`;
      groups.set(key, [...(groups.get(key) ?? []), amount]);
    }
    const rank = (sorted: number[], q: number) => sorted[Math.ceil(q * sorted.length) - 1];
    const expected = [...groups]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, amounts]) => {
        const [bucket_start, country] = key.split('|');
        const sorted = [...amounts].sort((a, b) => a - b);
        const sum = amounts.reduce((total, amount) => total + amount, 0);
        const exact = new DecimalSum();
        for (const amount of amounts) exact.add(amount);
        return {
          exactSum: exact.toString(),
          bucket_start,
          country,
          count: amounts.length,
          sum,
          min: sorted[0],
          max: sorted.at(-1),
          avg: sum / amounts.length,
          p50: rank(sorted, 0.5),
          p90: rank(sorted, 0.9),
          p99: rank(sorted, 0.99),
        };
      });
    expect(expected.length).toBeGreaterThan(0);
    expect(rows).toHaveLength(expected.length);
    rows.forEach((row, index) => {
      const want = expected[index] as Record<string, unknown>;
      for (const column of [
        'bucket_start',
        'country',
        'count',
        'min',
        'max',
        'p50',
        'p90',
        'p99',
      ]) {
        expect(row[column], column).toEqual(want[column]);
      }
      // Decimal, as the aggregates: the exact sum of the amounts as written.
      expect(canonicalDecimal(String(row.sum))).toBe(want.exactSum);
      expect(Number(row.avg)).toBeCloseTo(want.avg as number, 6);
    });
  });
});
