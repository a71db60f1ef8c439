import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import type { MetricDefinition, StreamfoldConfig } from '../../core/config/configSchema.js';
import { parseDuration } from '../../core/duration.js';
import { valueSourcesOf } from '../../core/events/checkStorableValues.js';
import { mapConcurrent } from '../../core/util/mapConcurrent.js';
import { DynamoGroupRegistry } from '../../functions/aggregate/DynamoGroupRegistry.js';
import { backfillItem } from './backfillItem.js';
import { ReconcileError } from './errors.js';
import {
  applyGroupCaps,
  readOnlyAdmission,
  registryAdmission,
  splitItemKey,
  uncappedGroundTruth,
} from './expectedAggregates.js';
import {
  type AggregateDrift,
  emptyJudgement,
  findDrift,
  type MetricJudgement,
} from './findDrift.js';
import { type JudgedRange, judgeBucket } from './judgeBucket.js';
import { type ArchiveReadSummary, readArchivedEvents } from './readArchivedEvents.js';
import { readStoredAggregates } from './readStoredAggregates.js';
import { type ItemDescription, repairItem } from './repairItem.js';

/** Default margin added to the buffering interval before a bucket counts as complete. */
export const DEFAULT_COMPLETENESS_MARGIN_MS = 120_000;

/** Items repaired or backfilled at once. */
const WRITE_CONCURRENCY = 4;

/** Options of {@link reconcileAggregates}. */
export interface ReconcileOptions {
  config: StreamfoldConfig;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  /** Archive bucket. */
  bucket: string;
  tableName: string;
  /** Event-time range of the buckets, ms since the epoch. */
  sinceMs: number;
  untilMs: number;
  /**
   * `check` reports drift; `repair` also corrects it; `backfill` writes the
   * items of `metrics` that do not exist yet.
   */
  mode: 'check' | 'repair' | 'backfill';
  /** Metric names to reconcile; every declared metric when omitted. */
  metrics?: readonly string[];
  /** Added to the archive's buffering interval before a bucket counts as complete, ms. @default 120000 */
  marginMs?: number;
  /** @default Date.now */
  now?: () => number;
  /** Conditional attempts per repaired item. @default 5 */
  maxAttempts?: number;
  /** See `RepairItemOptions.beforeWrite`. */
  beforeWrite?: (key: string, attempt: number) => Promise<void>;
  /** Told about progress on long runs, one line at a time. */
  onProgress?: (line: string) => void;
}

/** What a run found and did. */
export interface ReconcileReport {
  mode: ReconcileOptions['mode'];
  since: string;
  until: string;
  now: string;
  /** Buckets ending after this were not judged: their records may still be in Firehose's buffer. */
  completeBefore: string;
  bufferingIntervalMs: number;
  marginMs: number;
  archive: ArchiveReadSummary & {
    bucket: string;
    prefix: string;
    arrivalFrom: string;
    arrivalTo: string;
  };
  /** Per metric: items judged and drifted, and items left out (cut by the range, not complete). */
  metrics: Record<string, MetricJudgement>;
  drift: AggregateDrift[];
  repair?: {
    repaired: number;
    /** Items that matched on the fresh read (live writes or another run fixed them meanwhile). */
    inSync: number;
    /** Conditional writes refused because a live write landed in between (each was retried). */
    conflicts: number;
    failed: { key: string; error: string }[];
  };
  backfill?: {
    written: number;
    /** Items that already existed and were left alone. */
    existing: string[];
    failed: { key: string; error: string }[];
  };
}

/**
 * Recomputes aggregates from the archive (the system of record) and compares
 * them with the table: reads the arrival-hour partitions that can hold events
 * of the range, validates and dedupes them by `id`, computes the expected
 * items with `GroundTruth` (group caps as the registry decided them), reads
 * the stored items and reports drift per metric and bucket. Only buckets that
 * lie wholly inside the range, ended before now − buffering interval −
 * margin, and can hold no event of a merged archive line are judged. With
 * `repair` each drifted item is corrected by {@link repairItem}; with
 * `backfill` the missing items of a newly declared metric are written by
 * {@link backfillItem}.
 */
export async function reconcileAggregates(options: ReconcileOptions): Promise<ReconcileReport> {
  const { config } = options;
  const metrics = selectMetrics(config, options.metrics);
  const names = metrics.map((m) => m.name);
  const nowMs = (options.now ?? Date.now)();
  const bufferingIntervalMs = mustParse(
    config.archive.bufferingInterval,
    'archive.bufferingInterval',
  );
  const marginMs = options.marginMs ?? DEFAULT_COMPLETENESS_MARGIN_MS;
  const maxLatenessMs = mustParse(config.events.maxLateness, 'events.maxLateness');
  const maxFutureSkewMs = mustParse(config.events.maxFutureSkew, 'events.maxFutureSkew');
  const windowSizes = new Map(
    Object.keys(config.windows).map((w) => [w, mustParse(w, `windows.${w}`)]),
  );
  const progress = options.onProgress ?? (() => undefined);

  // An event of time t arrived between t − maxFutureSkew and t + maxLateness (else the handler
  // refused it); its object is named after the oldest record of its buffer, up to one
  // buffering interval (plus the margin) earlier.
  const arrivalFromMs = options.sinceMs - maxFutureSkewMs - bufferingIntervalMs - marginMs;
  const arrivalToMs = Math.min(nowMs, options.untilMs + maxLatenessMs + marginMs);
  const truth = uncappedGroundTruth(config, metrics);
  let lastShown = 0;
  const archive = await readArchivedEvents({
    s3: options.s3,
    bucket: options.bucket,
    prefix: config.archive.prefix,
    errorOutputPrefix: config.archive.errorOutputPrefix,
    arrivalFromMs,
    arrivalToMs,
    sinceMs: options.sinceMs,
    untilMs: options.untilMs,
    catalog: config.catalog,
    valueSources: valueSourcesOf(config.metrics),
    maxLatenessMs,
    maxFutureSkewMs,
    onEvent: (event) => truth.add(event),
    onProgress: (done, total) => {
      if (done === total || Date.now() - lastShown >= 2_000) {
        lastShown = Date.now();
        progress(`archive: ${done}/${total} objects read`);
      }
    },
  });
  const range: JudgedRange = {
    sinceMs: options.sinceMs,
    untilMs: options.untilMs,
    completeBeforeMs: nowMs - bufferingIntervalMs - marginMs,
    mergedEventTimes: archive.mergedEventTimes,
  };

  const registry = new DynamoGroupRegistry(options.dynamodb, options.tableName);
  const admission =
    options.mode === 'check' ? readOnlyAdmission(registry) : registryAdmission(registry);
  const expected = await applyGroupCaps(truth.items, metrics, admission);
  const describe = (key: string) => describeItem(key, config, windowSizes);

  const report: ReconcileReport = {
    mode: options.mode,
    since: iso(options.sinceMs),
    until: iso(options.untilMs),
    now: iso(nowMs),
    completeBefore: iso(range.completeBeforeMs),
    bufferingIntervalMs,
    marginMs,
    archive: {
      bucket: options.bucket,
      prefix: config.archive.prefix,
      arrivalFrom: iso(arrivalFromMs),
      arrivalTo: iso(arrivalToMs),
      ...archive,
    },
    metrics: {},
    drift: [],
  };

  if (options.mode === 'backfill') {
    report.metrics = Object.fromEntries(names.map((m) => [m, emptyJudgement()]));
    const toWrite: [string, AggregateFigures][] = [];
    for (const [key, figures] of [...expected].sort(([a], [b]) => a.localeCompare(b))) {
      const parts = splitItemKey(key);
      const tally = report.metrics[parts.metric] as MetricJudgement;
      const judgement = judgeBucket(
        Date.parse(parts.bucket),
        windowSizes.get(parts.window) as number,
        range,
      );
      if (judgement === 'cut-by-range') tally.cutByRange++;
      else if (judgement === 'not-complete') tally.notComplete++;
      else if (judgement === 'merged-lines') tally.mergedLines++;
      else {
        tally.judged++;
        toWrite.push([key, figures]);
      }
    }
    const backfill: NonNullable<ReconcileReport['backfill']> = {
      written: 0,
      existing: [],
      failed: [],
    };
    report.backfill = backfill;
    let done = 0;
    await mapConcurrent(toWrite, WRITE_CONCURRENCY, async ([key, figures]) => {
      try {
        const outcome = await backfillItem(
          options.dynamodb,
          options.tableName,
          key,
          figures,
          describe(key),
        );
        if (outcome === 'written') backfill.written++;
        else backfill.existing.push(key);
      } catch (error) {
        backfill.failed.push({ key, error: errorText(error) });
      }
      done++;
      if (done === toWrite.length || done % 500 === 0) {
        progress(`backfill: ${done}/${toWrite.length} items`);
      }
    });
    backfill.existing.sort();
    return report;
  }

  const stored = await readStoredAggregates(
    options.dynamodb,
    options.tableName,
    names,
    options.sinceMs,
    options.untilMs,
  );
  const findings = findDrift(expected, stored, names, windowSizes, range);
  report.metrics = findings.metrics;
  report.drift = findings.drift;

  if (options.mode === 'repair') {
    const repair: NonNullable<ReconcileReport['repair']> = {
      repaired: 0,
      inSync: 0,
      conflicts: 0,
      failed: [],
    };
    report.repair = repair;
    let done = 0;
    await mapConcurrent(findings.drift, WRITE_CONCURRENCY, async (drift) => {
      try {
        const outcome = await repairItem(drift.key, expected.get(drift.key), describe(drift.key), {
          client: options.dynamodb,
          tableName: options.tableName,
          ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
          ...(options.beforeWrite ? { beforeWrite: options.beforeWrite } : {}),
        });
        if (outcome.status === 'repaired') repair.repaired++;
        else repair.inSync++;
        repair.conflicts += outcome.conflicts;
      } catch (error) {
        repair.failed.push({ key: drift.key, error: errorText(error) });
      }
      done++;
      if (done === findings.drift.length || done % 200 === 0) {
        progress(`repair: ${done}/${findings.drift.length} items`);
      }
    });
  }
  return report;
}

/** The declared metrics named in `names` (all when omitted). */
function selectMetrics(
  config: StreamfoldConfig,
  names: readonly string[] | undefined,
): MetricDefinition[] {
  if (!names || names.length === 0) return config.metrics;
  return names.map((name) => {
    const metric = config.metrics.find((m) => m.name === name);
    if (!metric) {
      throw new ReconcileError(
        `metric: "${name}" is not declared in streamfold.config.ts (declared: ${config.metrics.map((m) => m.name).join(', ')})`,
      );
    }
    return metric;
  });
}

/** The descriptive attributes of an item, as the handler writes them. */
function describeItem(
  key: string,
  config: StreamfoldConfig,
  windowSizes: ReadonlyMap<string, number>,
): ItemDescription {
  const { metric, group, window, bucket } = splitItemKey(key);
  const retention = config.windows[window]?.retention;
  const startMs = Date.parse(bucket);
  const sizeMs = windowSizes.get(window) as number;
  return {
    metric,
    group,
    window,
    bucket,
    // As AggregateFold computes it: the bucket's end plus the window's retention.
    expiresAt:
      retention === undefined
        ? undefined
        : Math.ceil(
            (startMs + sizeMs + mustParse(retention, `windows.${window}.retention`)) / 1_000,
          ),
  };
}

function mustParse(text: string, setting: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new ReconcileError(`${setting}: not a duration (given "${text}")`);
  return ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
