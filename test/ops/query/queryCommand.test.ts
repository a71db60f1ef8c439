import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommandError } from '../../../cli/reportCommandError.js';
import { bucketStart } from '../../../core/aggregates/aggregateKey.js';
import { compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import { GroundTruth } from '../../../core/aggregates/GroundTruth.js';
import { summarizeAggregate } from '../../../core/aggregates/summarizeAggregate.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { aggregateKinesisBatch } from '../../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoAggregateStore } from '../../../functions/aggregate/DynamoAggregateStore.js';
import { DynamoGroupRegistry } from '../../../functions/aggregate/DynamoGroupRegistry.js';
import type { SeriesResponse } from '../../../functions/query/queryAggregates.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../../local/provisionResources.js';
import { QueryArgsError } from '../../../ops/query/errors.js';
import { parseQueryArgs } from '../../../ops/query/parseQueryArgs.js';
import { runQueryCommand } from '../../../ops/query/runQueryCommand.js';
import { sampleEvent } from '../../helpers/events.js';
import { kinesisStreamEvent } from '../../helpers/kinesisStreamEvent.js';
import { seededRandom } from '../../helpers/seededRandom.js';
import { terminalControlsIn } from '../../helpers/terminalControls.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const config = loadConfig();
const TABLE = 'query-command';
const MINUTE = 60_000;
const now = Date.now();
const start = bucketStart(now, MINUTE) - 30 * MINUTE;
const events = (() => {
  const random = seededRandom(21);
  return Array.from({ length: 300 }, (_, i) =>
    sampleEvent('purchase', {
      time: new Date(start + Math.floor(random() * 20 * MINUTE)).toISOString(),
      data: {
        amount: Math.round((1 + random() * 90) * 100) / 100,
        country: i % 4 === 0 ? 'FR' : 'DE',
      },
    }),
  );
})();
const truth = new GroundTruth(config);
for (const event of events) truth.add(event);

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
  const specs = [];
  for (let k = 0; k * 10 < events.length; k++) {
    specs.push({
      sequenceNumber: String(BigInt(k + 1) * 10n ** 20n + 3n),
      lines: events.slice(k * 10, k * 10 + 10),
    });
  }
  const { response } = await aggregateKinesisBatch(kinesisStreamEvent(specs), {
    store: new DynamoAggregateStore(dynamodb, TABLE),
    groups: new DynamoGroupRegistry(dynamodb, TABLE),
    rejects: { write: async () => undefined },
    metrics: compileMetrics(config),
    catalog: webShopCatalog,
    maxLatenessMs: 86_400_000,
    maxFutureSkewMs: 300_000,
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => now,
  });
  expect(response.batchItemFailures).toEqual([]);
}, 30_000);

afterAll(async () => {
  dynamodb?.destroy();
  await emulators?.stop();
});

describe('npm run query', () => {
  it('prints an aligned table with one row per bucket and every figure revenue keeps', async () => {
    // Act
    const { code, out } = await run([
      'revenue',
      '--group',
      'country=DE',
      '--window',
      '1m',
      '--since',
      '1h',
    ]);

    // Assess
    const prefix = 'revenue#country=DE|1m#';
    const want = [...truth.items]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, figures]) => ({
        bucket: key.slice(prefix.length),
        ...summarizeAggregate(figures),
      }));
    const lines = out.trimEnd().split('\n');
    expect(code).toBe(0);
    expect(lines[0]).toBe(`revenue country=DE per 1m: ${want.length} buckets`);
    expect(lines[1]?.split(/\s+/)).toEqual([
      'bucket',
      'count',
      'sum',
      'avg',
      'min',
      'max',
      'p50',
      'p90',
      'p99',
    ]);
    const rows = lines.slice(3);
    expect(rows).toHaveLength(want.length);
    // Aligned: every line as long as the header's rule.
    expect(new Set(lines.slice(2).map((line) => line.length)).size).toBe(1);
    rows.forEach((row, i) => {
      const [bucket, count, sum, , min, max] = row.split(/\s+/);
      expect(bucket).toBe(want[i]?.bucket);
      expect(Number(count)).toBe(want[i]?.count);
      expect(Number(sum)).toBeCloseTo(want[i]?.sum as number, 2);
      expect(Number(min)).toBe(want[i]?.min);
      expect(Number(max)).toBe(want[i]?.max);
    });
  });

  it('prints the API JSON with --json', async () => {
    // Act
    const { code, out } = await run([
      'revenue',
      '--group',
      'country=FR',
      '--since',
      '1h',
      '--json',
    ]);

    // Assess
    const body = JSON.parse(out) as SeriesResponse;
    expect(code).toBe(0);
    expect(body).toMatchObject({ metric: 'revenue', group: 'country=FR', window: '1m' });
    expect(body.points.reduce((sum, p) => sum + p.count, 0)).toBe(
      events.filter((_, i) => i % 4 === 0).length,
    );
  });

  it('ranks groups with top and lists metrics', async () => {
    // Act
    const top = await run(['top', 'revenue', '--by', 'count', '--window', '1h', '--since', '2h']);
    const metrics = await run(['metrics']);

    // Assess
    const lines = top.out.trimEnd().split('\n');
    expect(lines[0]).toBe('revenue per 1h: top 2 groups by count');
    expect(lines[3]?.split(/\s+/).slice(0, 2)).toEqual(['country=DE', String(events.length - 75)]);
    expect(lines[4]?.split(/\s+/).slice(0, 2)).toEqual(['country=FR', '75']);
    expect(
      metrics.out
        .split('\n')
        .slice(2, -1)
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(config.metrics.map((m) => m.name));
  });

  it.each([
    [
      ['top', 'revenue', '--by', 'summ'],
      '--by must be one of count, sum, avg, max (given "summ"; did you mean sum?)',
    ],
    [
      ['top', 'revenue', '--limit', 'abc'],
      '--limit must be a whole number from 1 to 1000 (given "abc")',
    ],
    [
      ['revenue', '--window', '1H'],
      '--window: metric revenue is kept in windows 1m, 1h, 1d (given "1H"; did you mean 1h?)',
    ],
    [
      ['revenue', '--since', '30d'],
      '--since: the range covers 43201 buckets of 1m, more than 10000',
    ],
  ])('exits 2 naming the flag for a value the API refuses: %j', async (argv, message) => {
    // Act
    const { code, out, err } = await run(argv);

    // Assess
    expect(code).toBe(2);
    expect(out).toBe('');
    const [first, second, ...rest] = err.split('\n');
    expect(first?.startsWith(`streamfold query: ${message}`)).toBe(true);
    expect(second).toBe('Run "streamfold query --help" for the options.');
    expect(rest).toEqual(['']);
  });

  it('prints no control character of a group value, in a table or in a refusal that lists it', async () => {
    // Prepare: a category is any string of 1 to 64 characters, this one sets the terminal title.
    const category = 'toys\u001b]0;pwned\u0007';
    const carts = [1, 2].map((quantity) =>
      sampleEvent('add_to_cart', {
        time: new Date(start + MINUTE).toISOString(),
        data: { category, quantity },
      }),
    );
    const { response } = await aggregateKinesisBatch(
      kinesisStreamEvent([{ sequenceNumber: String(9n * 10n ** 20n), lines: carts }]),
      {
        store: new DynamoAggregateStore(dynamodb, TABLE),
        groups: new DynamoGroupRegistry(dynamodb, TABLE),
        rejects: { write: async () => undefined },
        metrics: compileMetrics(config),
        catalog: webShopCatalog,
        maxLatenessMs: 86_400_000,
        maxFutureSkewMs: 300_000,
        logger: new Logger({ logLevel: 'SILENT' }),
        now: () => now,
      },
    );
    expect(response.batchItemFailures).toEqual([]);

    // Act
    const top = await run(['top', 'cart_quantity', '--window', '1h']);
    const refused = await run(['cart_quantity', '--window', '1h', '--group', 'category=toys']);

    // Assess
    expect(top.code).toBe(0);
    expect(terminalControlsIn(top.out)).toEqual([]);
    // Group keys are percent-encoded as stored; what the table shows must stay inert either way.
    expect(top.out).toContain('category=toys%1B%5D0%3Bpwned%07');
    expect(refused.code).toBe(2);
    expect(terminalControlsIn(refused.err)).toEqual([]);
    expect(refused.err).toContain('known groups: category=toys%1B%5D0%3Bpwned%07');
    expect(refused.err).toMatch(/^streamfold query: --group: cart_quantity has no group /);
  });

  it.each([
    [['--target', 'cloud', 'revenue'], '--target must be local or aws (given "cloud")'],
    [['top'], 'top needs one METRIC (given none)'],
    [['metrics', 'revenue'], 'metrics takes no argument (given "revenue")'],
    [['groups', 'revenue', '--by', 'sum'], '--by does not apply to groups (given "sum")'],
    [['revenue', '--windw', '1m'], 'unknown option --windw (did you mean --window?)'],
    [
      ['revenue', '--since', 'yesterday'],
      '--since must be a duration back from now, such as 15m, 1h or 2d, or an ISO 8601 time with an offset, such as 2026-11-22T10:00Z (given "yesterday")',
    ],
  ])('refuses arguments %j', (argv, message) => {
    expect(() => parseQueryArgs(argv)).toThrow(new QueryArgsError(message));
  });

  it('prints its help and exits 0, and exits 2 on bad arguments, as a process', () => {
    // Act
    const bin = fileURLToPath(new URL('../../../bin/streamfold.js', import.meta.url));
    const run = (argv: string[]) =>
      spawnSync(process.execPath, [bin, 'query', ...argv], { encoding: 'utf8' });
    const help = run(['--help']);
    const bad = run(['top']);

    // Assess
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: streamfold query');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      'streamfold query: top needs one METRIC (given none)\nRun "streamfold query --help" for the options.\n',
    );
  });
});
