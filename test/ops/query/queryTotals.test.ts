import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommandError } from '../../../cli/reportCommandError.js';
import { bucketStart } from '../../../core/aggregates/aggregateKey.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { addDecimalStrings } from '../../../core/decimal/addDecimalStrings.js';
import type { SeriesResponse } from '../../../functions/query/queryAggregates.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../../local/provisionResources.js';
import { parseQueryArgs } from '../../../ops/query/parseQueryArgs.js';
import { runQueryCommand } from '../../../ops/query/runQueryCommand.js';
import { batchOfEvents, dynamoHandler } from '../../helpers/dynamoHandler.js';
import { sampleEvent } from '../../helpers/events.js';
import { seededRandom } from '../../helpers/seededRandom.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const config = loadConfig();
const TABLE = 'query-totals';
const MINUTE = 60_000;
const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IT', 'ES', 'NL', 'PL', 'SE'] as const;
const now = Date.now();
const start = bucketStart(now, MINUTE) - 30 * MINUTE;
/** Purchases over 20 minutes in ten countries, DE the most, amounts in cents and tenths. */
const events = (() => {
  const random = seededRandom(8);
  return Array.from({ length: 400 }, (_, i) =>
    sampleEvent('purchase', {
      time: new Date(start + Math.floor(random() * 20 * MINUTE)).toISOString(),
      data: {
        amount: i % 5 === 0 ? 0.1 : Math.round((1 + random() * 90) * 100) / 100,
        country: i % 3 === 0 ? 'DE' : COUNTRIES[i % COUNTRIES.length],
      },
    }),
  );
})();

/** Count and exact sum per bucket over all countries, from the events. */
const exactByBucket = (() => {
  const byBucket = new Map<string, { count: number; sum: string }>();
  for (const event of events) {
    const bucket = new Date(bucketStart(Date.parse(event.time), MINUTE)).toISOString();
    const entry = byBucket.get(bucket) ?? { count: 0, sum: '0' };
    entry.count += 1;
    entry.sum = addDecimalStrings(entry.sum, String(event.data.amount));
    byBucket.set(bucket, entry);
  }
  return byBucket;
})();

let emulators: RunningEmulators;
let dynamodb: DynamoDBClient;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const errStream = { write: (text: string) => (err += text) };
  // A thrown error is reported as `streamfold query` reports it, with its exit code.
  const code = await runQueryCommand(parseQueryArgs(argv), {
    config,
    now: () => now,
    connect: async () => ({
      description: 'test dynalite',
      dynamodb,
      tableName: TABLE,
      close: () => undefined,
    }),
    out: { write: (text: string) => (out += text) },
    err: errStream,
  }).catch((error: unknown) => reportCommandError('query', error, { err: errStream, env: {} }));
  return { code, out, err };
}

beforeAll(async () => {
  const started = await startTestEmulators({ dynamodb: true });
  emulators = started.emulators;
  dynamodb = started.clients.dynamodb;
  await createAggregatesTable(dynamodb, TABLE);
  const handle = dynamoHandler(dynamodb, TABLE, config, { now, maxLatenessMs: 86_400_000 });
  const { response } = await handle(batchOfEvents(events, 1, 10));
  expect(response.batchItemFailures).toEqual([]);
}, 30_000);

afterAll(async () => {
  dynamodb?.destroy();
  await emulators?.stop();
});

describe('npm run query on a grouped metric', () => {
  it('prints the total over all groups per bucket without --group, and says so', async () => {
    // Act
    const { code, out, err } = await run(['revenue', '--since', '1h']);

    // Assess
    const lines = out.trimEnd().split('\n');
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(lines[0]).toBe(
      `revenue per 1m: ${exactByBucket.size} buckets, total over 10 groups (country); --group country=DE for one`,
    );
    const rows = lines.slice(3).map((row) => row.split(/\s+/));
    expect(rows.map(([bucket]) => bucket)).toEqual([...exactByBucket.keys()].sort());
    for (const [bucket, count, sum] of rows) {
      const exact = exactByBucket.get(bucket as string);
      expect(Number(count), bucket).toBe(exact?.count);
      expect(sum, bucket).toBe(Number(exact?.sum).toFixed(2));
    }
  });

  it('says scope total in the JSON, with the exact sums', async () => {
    // Act
    const { code, out } = await run(['revenue', '--since', '1h', '--json']);

    // Assess
    const body = JSON.parse(out) as SeriesResponse;
    expect(code).toBe(0);
    expect(body).toMatchObject({
      metric: 'revenue',
      group: '*',
      scope: 'total',
      groupBy: ['data.country'],
      groupCount: 10,
      largestGroup: 'country=DE',
    });
    expect(body.points.map((p) => [p.bucket, p.count, p.sumDecimal])).toEqual(
      [...exactByBucket].sort(([a], [b]) => (a < b ? -1 : 1)).map(([b, e]) => [b, e.count, e.sum]),
    );
  });

  it('exits 2 naming the known groups and the one meant for an unknown group', async () => {
    // Act
    const { code, out, err } = await run(['revenue', '--group', 'DE', '--since', '1h']);

    // Assess
    expect(code).toBe(2);
    expect(out).toBe('');
    const countOf = (country: string) => events.filter((e) => e.data.country === country).length;
    const known = [...COUNTRIES]
      .sort((a, b) => countOf(b) - countOf(a) || (a < b ? -1 : 1))
      .map((country) => `country=${country}`);
    expect(known[0]).toBe('country=DE');
    expect(err).toBe(
      `streamfold query: --group: revenue has no group "DE"; known groups: ${known.join(', ')} ` +
        '(did you mean country=DE?)\nRun "streamfold query --help" for the options.\n',
    );
  });

  it('suggests no group for a value every group is as near to', async () => {
    // Act
    const { code, err } = await run(['revenue', '--group', 'country=XX', '--since', '1h']);

    // Assess
    expect(code).toBe(2);
    expect(err).toMatch(
      /^streamfold query: --group: revenue has no group "country=XX"; known groups: /,
    );
    expect(err).not.toContain('did you mean');
  });

  it('exits 2 for an unknown metric too, and for a window the metric does not keep', async () => {
    // Act
    const unknownMetric = await run(['revenu', '--since', '1h']);
    const badWindow = await run(['revenue', '--window', '5m']);

    // Assess
    expect(unknownMetric.code).toBe(2);
    expect(unknownMetric.err).toMatch(/^streamfold query: no metric named "revenu"/);
    expect(badWindow.code).toBe(2);
    expect(badWindow.err).toMatch(
      /^streamfold query: --window: metric revenue is kept in windows /,
    );
  });

  it('exits 0 and says so for a known group with no buckets in the range', async () => {
    // Act
    const { code, out } = await run([
      'revenue',
      '--group',
      'country=DE',
      '--since',
      '6h',
      '--until',
      '5h',
    ]);

    // Assess
    expect(code).toBe(0);
    expect(out).toBe(
      'revenue country=DE per 1m: 0 buckets (none in the range; the group has events at other times)\n',
    );
  });

  it('exits 0 and says so for a total with no events in the range', async () => {
    // Act
    const { code, out } = await run(['revenue', '--since', '6h', '--until', '5h']);

    // Assess
    expect(code).toBe(0);
    expect(out).toBe('revenue per 1m: 0 buckets (no group of country has events in the range)\n');
  });
});
