import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { admissionFrom, type FoldableEvent } from '../../../core/aggregates/AggregateFold.js';
import {
  type AggregationSettings,
  aggregationSettingsOf,
  compileMetrics,
  fieldReader,
} from '../../../core/aggregates/compileMetrics.js';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';
import { unpackEvents } from '../../../core/codec/unpackEvents.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { validateEventLine } from '../../../core/events/validateEvent.js';
import { seededRandom } from '../../../core/util/seededRandom.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { sampleEventGenerator } from '../../../examples/web-shop/sampleEvents.js';
import { aggregateKinesisBatch } from '../../../functions/aggregate/aggregateKinesisBatch.js';
import {
  expectedFigures,
  FlakyRegistry,
  handlerDeps,
  MemoryDeduper,
} from '../../helpers/handlerFakes.js';
import { kinesisStreamEvent, type RecordSpec } from '../../helpers/kinesisStreamEvent.js';
import { corruptedKplRecordData, kplRecordData } from '../../helpers/kplRecords.js';

const config = loadConfig();
const NOW = Date.parse('2026-11-22T10:30:00.000Z');
const SETTINGS: AggregationSettings = {
  ...aggregationSettingsOf(config),
  metrics: [
    ...config.metrics,
    {
      name: 'capped_category',
      on: 'add_to_cart',
      value: 'data.price',
      groupBy: ['data.category'],
      maxGroups: 3,
      stats: ['count', 'sum', 'min', 'max', 'p50'],
      windows: ['1m'],
    },
    {
      name: 'capped_country',
      on: ['page_view', 'purchase'],
      groupBy: ['data.country'],
      maxGroups: 2,
      stats: ['count'],
      windows: ['1m', '1h'],
    },
    {
      name: 'by_country_device',
      maxGroups: 4,
      on: 'page_view',
      groupBy: ['data.country', 'data.device'],
      stats: ['count'],
      windows: ['1m'],
    },
  ],
};
const metrics = compileMetrics(SETTINGS);
const WINDOW = { now: NOW, maxLatenessMs: 7 * 86_400_000, maxFutureSkewMs: 300_000 };

interface Stream {
  batch: KinesisStreamEvent;
  /** Every accepted event occurrence, in stream order. */
  accepted: FoldableEvent[];
}

function makeStream(seed: number, records: number): Stream {
  const random = seededRandom(seed);
  let n = 0;
  const next = sampleEventGenerator({
    random,
    now: () => NOW - Math.floor(random() * 3 * 3_600_000) + (random() < 0.05 ? 200_000 : 0),
  });
  const sent: StreamfoldEvent[] = [];
  const specs: RecordSpec[] = [];
  const corrupt = new Set<string>();
  for (let r = 0; r < records; r++) {
    const lines: (StreamfoldEvent | string)[] = [];
    const k = 1 + Math.floor(random() * 6);
    for (let i = 0; i < k; i++) {
      const roll = random();
      if (roll < 0.12 && sent.length > 0) {
        lines.push(sent[Math.floor(random() * sent.length)] as StreamfoldEvent); // producer duplicate
      } else if (roll < 0.16) {
        lines.push(random() < 0.5 ? '{"broken' : '{"id":"x","type":"purchase"}');
      } else {
        const e = { ...next(), id: `e${seed}-${n++}` } as StreamfoldEvent;
        if (e.type === 'purchase' && random() < 0.15)
          (e.data as Record<string, unknown>).amount = 0;
        if (e.type === 'add_to_cart' && random() < 0.1)
          (e.data as Record<string, unknown>).price = 0;
        if (e.type === 'add_to_cart' && random() < 0.5) {
          (e.data as Record<string, unknown>).category = `c${Math.floor(random() * 8)}`;
        }
        sent.push(e);
        lines.push(e);
      }
    }
    const seq = String(1_000_000 + r * 7);
    if (random() < 0.2 && lines.every((l) => typeof l !== 'string')) {
      const events = lines as StreamfoldEvent[];
      const cut = Math.floor(events.length / 2);
      let data = kplRecordData(
        [events.slice(0, cut), events.slice(cut)].filter((g) => g.length > 0),
      );
      if (random() < 0.25) {
        data = corruptedKplRecordData(data);
        corrupt.add(seq);
      }
      specs.push({ sequenceNumber: seq, data, arrivalMs: NOW });
    } else specs.push({ sequenceNumber: seq, lines, arrivalMs: NOW });
  }
  const batch = kinesisStreamEvent(specs);
  const accepted: FoldableEvent[] = [];
  for (const spec of specs) {
    const order = sequenceOrderKey(spec.sequenceNumber);
    const lines =
      'lines' in spec
        ? spec.lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l)))
        : null;
    if (corrupt.has(spec.sequenceNumber)) continue;
    const list = lines ?? unpackEvents((spec as { data: Uint8Array }).data).lines;
    list.forEach((line, lineIndex) => {
      const v = validateEventLine(line, webShopCatalog, WINDOW);
      if (v.ok) accepted.push({ event: v.event, timeMs: v.timeMs, order, lineIndex });
    });
  }
  return { batch, accepted };
}

const REFUSING = new Set(['revenue', 'capped_category']);

async function drive(
  stream: Stream,
  seed: number,
  opts: {
    dedupe: boolean;
    storeFail: number;
    dedupeFail: number;
    registryFail: number;
    rejectsFail: number;
    refuseZero?: boolean;
  },
) {
  const random = seededRandom(seed * 31 + 7);
  const registry = new FlakyRegistry();
  registry.rng = random;
  registry.failRate = opts.registryFail;
  const deduper = opts.dedupe ? new MemoryDeduper() : undefined;
  if (deduper) {
    deduper.rng = random;
    deduper.failRate = opts.dedupeFail;
  }
  const d = handlerDeps(metrics, NOW, { groups: registry, ...(deduper ? { deduper } : {}) });
  d.store.rng = random;
  d.store.failRate = opts.storeFail;
  if (opts.refuseZero)
    d.store.refuses = (delta) => REFUSING.has(delta.metric) && delta.count > 0 && delta.min === 0;
  const records = stream.batch.Records;
  let p = 0;
  let invocations = 0;
  while (p < records.length) {
    if (++invocations > 5_000) throw new Error('no progress');
    const size = 1 + Math.floor(random() * 25);
    d.rejects.fail = random() < opts.rejectsFail;
    const batch = { Records: records.slice(p, p + size) };
    const { response } = await aggregateKinesisBatch(batch, d);
    const failure = response.batchItemFailures[0]?.itemIdentifier;
    if (failure === undefined) p += batch.Records.length;
    else {
      const i = records.findIndex((r) => r.kinesis.sequenceNumber === failure);
      if (i < p) throw new Error(`reported ${failure} before batch start`);
      p = i;
    }
  }
  let expectedEvents = stream.accepted;
  if (opts.dedupe) {
    const seen = new Set<string>();
    expectedEvents = stream.accepted.filter((e) => {
      if (seen.has(e.event.id)) return false;
      seen.add(e.event.id);
      return true;
    });
  }
  const admission = admissionFrom(registry.admittedSets);
  return {
    actual: d.store.figures(),
    expected: expectedFigures(
      metrics,
      expectedEvents,
      admission,
      // The store refuses a zero in these metrics: those events are rejects there, counted elsewhere.
      opts.refuseZero
        ? (metric, event) =>
            REFUSING.has(metric.name) &&
            metric.valuePath !== undefined &&
            fieldReader(metric.valuePath)(event) === 0
        : undefined,
    ),
    refusedRejects: d.rejects.written.filter((r) => r.reason.code === 'refused_by_store').length,
    invocations,
  };
}

const SCENARIOS = [
  {
    name: 'no faults',
    dedupe: false,
    storeFail: 0,
    dedupeFail: 0,
    registryFail: 0,
    rejectsFail: 0,
  },
  {
    name: 'dedupe, no faults',
    dedupe: true,
    storeFail: 0,
    dedupeFail: 0,
    registryFail: 0,
    rejectsFail: 0,
  },
  {
    name: 'store throttles',
    dedupe: false,
    storeFail: 0.05,
    dedupeFail: 0,
    registryFail: 0,
    rejectsFail: 0,
  },
  {
    name: 'dedupe + failed claims',
    dedupe: true,
    storeFail: 0,
    dedupeFail: 0.02,
    registryFail: 0,
    rejectsFail: 0,
  },
  {
    name: 'registry failures',
    dedupe: false,
    storeFail: 0,
    dedupeFail: 0,
    registryFail: 0.2,
    rejectsFail: 0,
  },
  {
    name: 'refused by store',
    dedupe: false,
    storeFail: 0,
    dedupeFail: 0,
    registryFail: 0,
    rejectsFail: 0,
    refuseZero: true,
  },
  {
    name: 'refused by store + dedupe + throttles',
    dedupe: true,
    storeFail: 0.03,
    dedupeFail: 0.02,
    registryFail: 0.1,
    rejectsFail: 0,
    refuseZero: true,
  },
  {
    name: 'everything',
    dedupe: true,
    storeFail: 0.03,
    dedupeFail: 0.02,
    registryFail: 0.15,
    rejectsFail: 0.1,
  },
];

/**
 * The handler driven through a stream of 120 records as Lambda drives it
 * (batches of 1–25 records, a retry from the lowest reported failure), with
 * producer duplicates, bad lines, KPL aggregated and corrupt records, and
 * faults: store throttles (so refolds after partial application), failed
 * dedupe claims, registry failures (caps undecided), rejects-sink failures,
 * values the store refuses. Whatever the path, every figure it stores must be
 * the plain fold of the accepted events, each id once with a deduper.
 */
describe('handler under retries against the plain fold of the stream', () => {
  for (const scenario of SCENARIOS) {
    for (const seed of [1, 2, 3, 4]) {
      it(`${scenario.name}, seed ${seed}`, async () => {
        const stream = makeStream(seed, 120);
        const { actual, expected } = await drive(stream, seed, scenario);
        expect(actual).toEqual(expected);
      });
    }
  }
});
