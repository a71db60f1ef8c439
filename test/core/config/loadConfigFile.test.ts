import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSourceOf } from '../../../core/config/configSource.js';
import { ConfigError } from '../../../core/config/errors.js';
import {
  CONFIG_FILE_VARIABLE,
  DEFAULT_CONFIG_FILE,
  loadConfigFile,
} from '../../../core/config/loadConfig.js';
import { validateConfig } from '../../../core/config/validateConfig.js';
import accounts from '../../fixtures/configs/accounts.config.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/configs/', import.meta.url));
const ACCOUNTS = join(FIXTURES, 'accounts.config.ts');

async function configErrorOf(run: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

describe('loadConfigFile', () => {
  it("loads a team's own catalog and metrics, every other setting defaulted", async () => {
    // Act
    const { config, file } = await loadConfigFile(ACCOUNTS, {}, {});

    // Assess
    expect(file).toBe(ACCOUNTS);
    expect(Object.keys(config.catalog)).toEqual(['signup', 'login']);
    expect(config.metrics.map((metric) => metric.name)).toEqual(['seats_sold', 'logins']);
    expect(config.stream).toEqual({
      name: 'streamfold-events',
      capacityMode: 'provisioned',
      shardCount: 2,
      retention: '24h',
    });
    expect(config.local.ports).toEqual({
      kinesis: 4567,
      dynamodb: 4568,
      s3: 4569,
      http: 4570,
      firehose: 4571,
    });
    expect(Object.keys(config.windows)).toEqual(['1m', '1h', '1d']);
    expect(config.sampleEvents).toBeUndefined();
    expect(configSourceOf(config)).toEqual({ file: ACCOUNTS, overrides: {} });
  });

  it('applies overrides and records them, so a worker thread can load the same configuration', async () => {
    // Act
    const overrides = { local: { ports: { http: 9000 } } };
    const { config } = await loadConfigFile(ACCOUNTS, overrides, {});

    // Assess
    expect(config.local.ports.http).toBe(9000);
    expect(config.local.ports.kinesis).toBe(4567);
    expect(configSourceOf(config).overrides).toEqual(overrides);
  });

  it(`reads the file ${CONFIG_FILE_VARIABLE} names when no file is given, else the shipped one`, async () => {
    // Act
    const named = await loadConfigFile(undefined, {}, { [CONFIG_FILE_VARIABLE]: ACCOUNTS });
    const shipped = await loadConfigFile(undefined, {}, {});

    // Assess
    expect(named.file).toBe(ACCOUNTS);
    expect(shipped.file).toBe(DEFAULT_CONFIG_FILE);
    expect(Object.keys(shipped.config.catalog)).toEqual(['page_view', 'add_to_cart', 'purchase']);
  });

  it('names the option and the path of a file that does not exist', async () => {
    // Act
    const error = await configErrorOf(() => loadConfigFile('no/such.config.ts', {}, {}));

    // Assess
    expect(error.problems).toEqual([
      `--config: no configuration file at ${join(process.cwd(), 'no/such.config.ts')} (given "no/such.config.ts")`,
    ]);
  });

  it('refuses a module without a default export', async () => {
    // Act
    const error = await configErrorOf(() =>
      loadConfigFile(join(FIXTURES, 'notAConfig.ts'), {}, {}),
    );

    // Assess
    expect(error.problems[0]).toMatch(
      /notAConfig\.ts: must export the configuration as its default export/,
    );
  });

  it("cross-checks metrics against the file's own catalog, naming the file, the setting and the known types", async () => {
    // Act: a metric on a web-shop type, which this catalog does not have
    const error = await configErrorOf(() =>
      loadConfigFile(
        ACCOUNTS,
        {
          metrics: [
            {
              name: 'revenue',
              on: 'purchase',
              value: 'data.amount',
              stats: ['sum'],
              windows: ['1m'],
            },
          ],
        },
        {},
      ),
    );

    // Assess
    expect(error.problems).toEqual([
      `${ACCOUNTS}: metrics.0.on: unknown event type "purchase" (known: signup, login)`,
    ]);
  });
});

describe('the catalog setting', () => {
  const base = { ...accounts, metrics: [{ name: 'logins', on: 'login', windows: ['1m'] }] };

  it.each<{ name: string; catalog: unknown; problem: string }>([
    {
      name: 'an entry that is not a schema',
      catalog: { login: 'method and region' },
      problem:
        'catalog.login: must be a zod 4 object schema such as z.object({ ... }) (given "method and region")',
    },
    {
      name: 'an entry that is a schema but not an object',
      catalog: { login: z.string() },
      problem:
        'catalog.login: must be a zod 4 object schema such as z.object({ ... }) (given a zod string schema)',
    },
    {
      name: 'a type name with a space',
      catalog: { 'log in': z.object({}) },
      problem: 'catalog: event type names must be 1-64 of A-Z a-z 0-9 _ . : - (given "log in")',
    },
    {
      name: 'no event type at all',
      catalog: {},
      problem: 'catalog: must declare at least one event type (given {})',
    },
  ])('refuses $name', ({ catalog, problem }) => {
    // Act
    let caught: unknown;
    try {
      validateConfig({ ...base, catalog } as never);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toContain(problem);
  });

  it('is required', () => {
    // Act
    const { catalog: _, ...withoutCatalog } = base;
    let caught: unknown;
    try {
      validateConfig(withoutCatalog as never);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect((caught as ConfigError).problems[0]).toMatch(/^catalog: /);
  });
});

describe('metric fields checked against the catalog', () => {
  function problemsOf(data: z.ZodObject, metric: Record<string, unknown>): readonly string[] {
    try {
      validateConfig({
        catalog: { order: data },
        windows: { '1m': {} },
        metrics: [{ name: 'm', on: 'order', windows: ['1m'], ...metric }],
      } as never);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  }

  it.each([
    ['a default', z.number().default(0)],
    ['a lazy schema', z.lazy(() => z.number())],
    ['a numeric literal', z.literal(5)],
    ['a number or null', z.union([z.number(), z.null()])],
    ['a nullable optional number', z.number().nullable().optional()],
    ['a read-only number', z.number().readonly()],
  ])('takes %s as a numeric value', (_name, field) => {
    expect(problemsOf(z.object({ n: field }), { value: 'data.n', stats: ['sum'] })).toEqual([]);
  });

  it.each([
    ['a string turned into a number', z.string().transform(Number)],
    ['a text literal', z.literal('5')],
    ['null alone', z.null()],
  ])('refuses %s as a value: metrics read values as sent', (_name, field) => {
    expect(problemsOf(z.object({ n: field }), { value: 'data.n', stats: ['sum'] })).toEqual([
      'metrics.0.value: "data.n" is not a numeric field of event type "order"',
    ]);
  });

  it.each([
    ['object', z.object({ a: z.string() })],
    ['array', z.array(z.string())],
    ['record', z.record(z.string(), z.string())],
  ])(
    'refuses grouping by an %s field, whose values would all fall into one group',
    (kind, field) => {
      expect(problemsOf(z.object({ g: field.optional() }), { groupBy: ['data.g'] })).toEqual([
        `metrics.0.groupBy: "data.g" is an ${kind} field of event type "order"; group by a field holding one string, number or boolean`,
      ]);
    },
  );

  it('refuses a catalog of zod/mini schemas up front, saying what to use', async () => {
    // Prepare
    const { z: mini } = await import('zod/mini');

    // Act
    const problems = problemsOf(mini.object({ n: mini.number() }) as never, {});

    // Assess
    expect(problems).toEqual([
      "catalog.order: is a zod/mini schema; declare the catalog with zod's full API (import { z } from 'zod')",
    ]);
  });

  it('says a zod 3 schema is one', async () => {
    // Prepare
    const { z: z3 } = await import('zod/v3');

    // Act
    const problems = problemsOf(z3.object({ n: z3.number() }) as never, {});

    // Assess
    expect(problems).toEqual([
      'catalog.order: must be a zod 4 object schema such as z.object({ ... }) (given a zod 3 schema)',
    ]);
  });
});
