import type { z } from 'zod';
import { firehosePrefixProblems, staticRootOf } from '../codec/firehosePrefix.js';
import { parseDuration } from '../duration.js';
import type { EventCatalog } from '../events/catalog.js';
import { catalogEntryProblem } from '../events/catalogEntryProblem.js';
import { archiveFormatProblems } from './archiveFormatProblems.js';
import { awsLimitProblems } from './awsLimitProblems.js';
import { configSchema, type StreamfoldConfig, type StreamfoldConfigInput } from './configSchema.js';
import { ConfigError } from './errors.js';
import { compoundKindOf, isNumericField, resolveFieldSchema } from './resolveFieldSchema.js';

/**
 * A duration range check: setting path, allowed bounds in ms, and how to say
 * them; and the unit AWS takes it in, when it must be a whole number of it.
 */
interface DurationBound {
  path: string;
  value: string;
  minMs: number;
  maxMs: number;
  bounds: string;
  /** The AWS property that takes the value as an integer, and its unit. */
  whole?: { property: string; unit: 'second' | 'hour' };
}

/** Event type names: what the envelope's `type` accepts, without spaces or quotes. */
const EVENT_TYPE_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Validates a configuration against its schema and its metrics against its
 * event catalog, and applies defaults.
 *
 * @throws {ConfigError} naming every invalid setting and the value given
 */
export function validateConfig(input: StreamfoldConfigInput): StreamfoldConfig {
  const parsed = configSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map(describeIssue));
  const config = parsed.data;
  const catalogProblems = checkCatalog(config.catalog);
  if (catalogProblems.length > 0) throw new ConfigError(catalogProblems);
  const problems = [
    ...checkDurations(config),
    ...awsLimitProblems(config),
    ...checkMetrics(config, config.catalog),
    ...checkFirehosePrefixes(config),
    ...checkDirectPut(config),
    ...archiveFormatProblems(input, config),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The catalog declares at least one type, under valid names, each a zod object schema. */
function checkCatalog(catalog: EventCatalog): string[] {
  const entries = Object.entries(catalog);
  if (entries.length === 0) return ['catalog: must declare at least one event type (given {})'];
  const problems: string[] = [];
  for (const [type, schema] of entries) {
    if (!EVENT_TYPE_NAME.test(type)) {
      problems.push(
        `catalog: event type names must be 1-64 of A-Z a-z 0-9 _ . : - (given ${JSON.stringify(type)})`,
      );
    }
    const problem = catalogEntryProblem(schema);
    if (problem) problems.push(`catalog.${type}: ${problem}`);
  }
  return problems;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(root)';
  const given = 'input' in issue ? ` (given ${JSON.stringify(issue.input)})` : '';
  return `${path}: ${issue.message}${given}`;
}

const SECOND = 1_000;
const HOUR = 3_600 * SECOND;
const UNIT_MS = { second: SECOND, hour: HOUR } as const;

function checkDurations(config: StreamfoldConfig): string[] {
  const bounds: DurationBound[] = [
    {
      path: 'stream.retention',
      value: config.stream.retention,
      minMs: 24 * HOUR,
      maxMs: 8_760 * HOUR,
      bounds: '24h and 8760h',
      whole: { property: 'Kinesis RetentionPeriodHours', unit: 'hour' },
    },
    {
      path: 'aggregation.maxBatchingWindow',
      value: config.aggregation.maxBatchingWindow,
      minMs: 0,
      maxMs: 300 * SECOND,
      bounds: '0s and 300s',
      whole: { property: 'Lambda MaximumBatchingWindowInSeconds', unit: 'second' },
    },
    {
      path: 'aggregation.maxRecordAge',
      value: config.aggregation.maxRecordAge,
      minMs: 60 * SECOND,
      maxMs: 604_800 * SECOND,
      bounds: '60s and 7d',
      whole: { property: 'Lambda MaximumRecordAgeInSeconds', unit: 'second' },
    },
    {
      path: 'aggregation.timeout',
      value: config.aggregation.timeout,
      minMs: SECOND,
      maxMs: 900 * SECOND,
      bounds: '1s and 900s',
      whole: { property: 'Lambda Timeout', unit: 'second' },
    },
    {
      path: 'archive.bufferingInterval',
      value: config.archive.bufferingInterval,
      minMs: 0,
      maxMs: 900 * SECOND,
      bounds: '0s and 900s',
      whole: { property: 'Firehose IntervalInSeconds', unit: 'second' },
    },
    {
      // The ingest function's timeout is this plus 5 s.
      path: 'ingest.acknowledgeTimeout',
      value: config.ingest.acknowledgeTimeout,
      minMs: SECOND,
      maxMs: 20 * SECOND,
      bounds: '1s and 20s',
      whole: { property: "the ingest function's Lambda Timeout", unit: 'second' },
    },
  ];
  const problems: string[] = [];
  for (const { path, value, minMs, maxMs, bounds: text, whole } of bounds) {
    const ms = parseDuration(value) ?? Number.NaN;
    if (!(ms >= minMs && ms <= maxMs)) {
      problems.push(`${path}: must be between ${text} (given "${value}")`);
    } else if (whole && ms % UNIT_MS[whole.unit] !== 0) {
      // CDK throws CannotConvertedIntoWhole at synth for these; say so at load instead.
      problems.push(
        `${path}: must be a whole number of ${whole.unit}s, as AWS takes it in ${whole.property} (given "${value}")`,
      );
    }
  }
  for (const [name, window] of Object.entries(config.windows)) {
    const size = parseDuration(name) ?? 0;
    const retention = window.retention === undefined ? undefined : parseDuration(window.retention);
    if (retention !== undefined && retention < size) {
      problems.push(
        `windows.${name}.retention: must be at least the window size ${name} (given "${window.retention}")`,
      );
    }
  }
  return problems;
}

function checkMetrics(config: StreamfoldConfig, catalog: EventCatalog): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  config.metrics.forEach((metric, index) => {
    const at = `metrics.${index}`;
    if (seen.has(metric.name))
      problems.push(`${at}.name: duplicate metric name (given "${metric.name}")`);
    seen.add(metric.name);
    for (const window of metric.windows) {
      if (!Object.hasOwn(config.windows, window)) {
        problems.push(
          `${at}.windows: "${window}" is not declared in windows (declared: ${Object.keys(config.windows).join(', ')})`,
        );
      }
    }
    const needsValue = metric.stats.some((stat) => stat !== 'count');
    if (needsValue && metric.value === undefined) {
      problems.push(
        `${at}.value: stats ${JSON.stringify(metric.stats)} need a numeric value path (given none)`,
      );
    }
    for (const type of typeof metric.on === 'string' ? [metric.on] : metric.on) {
      const dataSchema = Object.hasOwn(catalog, type) ? catalog[type] : undefined;
      if (!dataSchema) {
        problems.push(
          `${at}.on: unknown event type "${type}" (known: ${Object.keys(catalog).join(', ')})`,
        );
        continue;
      }
      if (
        metric.value !== undefined &&
        !isNumericField(resolveFieldSchema(dataSchema, metric.value))
      ) {
        problems.push(
          `${at}.value: "${metric.value}" is not a numeric field of event type "${type}"`,
        );
      }
      for (const path of metric.groupBy) {
        const field = resolveFieldSchema(dataSchema, path);
        const compound = field && compoundKindOf(field);
        if (!field) {
          problems.push(`${at}.groupBy: "${path}" is not a field of event type "${type}"`);
        } else if (compound) {
          problems.push(
            `${at}.groupBy: "${path}" is an ${compound} field of event type "${type}"; group by a field holding one string, number or boolean`,
          );
        }
      }
    }
  });
  return problems;
}

/**
 * Both delivery streams' prefixes are given to Firehose as they are: what the
 * Firehose documentation says it refuses is refused here, at load, rather
 * than by CloudFormation at deploy or by the local archiver at its first flush.
 */
function checkFirehosePrefixes(config: StreamfoldConfig): string[] {
  const settings = [
    ['archive.prefix', config.archive.prefix, 'Prefix'],
    ['archive.errorOutputPrefix', config.archive.errorOutputPrefix, 'ErrorOutputPrefix'],
    ['directPut.prefix', config.directPut.prefix, 'Prefix'],
    ['directPut.errorOutputPrefix', config.directPut.errorOutputPrefix, 'ErrorOutputPrefix'],
  ] as const;
  return settings.flatMap(([path, prefix, field]) =>
    firehosePrefixProblems(prefix, field).map(
      (problem) => `${path}: ${problem} (given ${JSON.stringify(prefix)})`,
    ),
  );
}

/**
 * The direct-PUT stream writes into the archive bucket: each of its prefixes
 * must start with its own static folder, apart from every other prefix there,
 * or the archive table would read its objects (or its errors) as archive data.
 */
function checkDirectPut(config: StreamfoldConfig): string[] {
  const problems: string[] = [];
  const folders = [
    ['archive.prefix', config.archive.prefix],
    ['archive.errorOutputPrefix', config.archive.errorOutputPrefix],
    ['directPut.prefix', config.directPut.prefix],
    ['directPut.errorOutputPrefix', config.directPut.errorOutputPrefix],
  ].map(([path, prefix]) => ({ path, prefix, root: staticRootOf(prefix as string) }));
  folders.forEach((own, index) => {
    if (index < 2) return;
    if (!/^[^/]+\//.test(own.root)) {
      problems.push(
        `${own.path}: must start with a static folder such as "direct/" before any expression (given "${own.prefix}")`,
      );
      return;
    }
    // Each pair once: against the archive's folders and the direct-PUT folders before it
    // (one without a static folder is reported above, not as an overlap).
    for (const other of folders.slice(0, index)) {
      if (other.root === '') continue;
      if (own.root.startsWith(other.root) || other.root.startsWith(own.root)) {
        problems.push(
          `${own.path}: folder "${own.root}" overlaps ${other.path} folder "${other.root}" in the archive bucket (given "${own.prefix}")`,
        );
      }
    }
  });
  return problems;
}
