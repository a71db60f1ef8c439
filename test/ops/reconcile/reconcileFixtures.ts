import type { StreamfoldConfig } from '../../../core/config/configSchema.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import type { LocalPipeline } from '../../../local/startLocalPipeline.js';
import type { ReconcileTarget } from '../../../ops/reconcile/connectReconcileTarget.js';
import { sampleEvent } from '../../helpers/events.js';
import { seededRandom } from '../../helpers/seededRandom.js';

const DAY = 86_400_000;
const TYPES = ['page_view', 'add_to_cart', 'purchase'] as const;

/** Start of the UTC day two days ago: old enough that every bucket in it is complete, within `maxLateness`. */
export function pastDayStart(nowMs = Date.now()): number {
  return Math.floor(nowMs / DAY) * DAY - 2 * DAY;
}

/**
 * `count` events of every sample type spread over three hours of the day that
 * starts at `dayStartMs`, with seeded amounts, quantities, countries and devices.
 */
export function eventsOfDay(dayStartMs: number, count: number, seed: number): StreamfoldEvent[] {
  const random = seededRandom(seed);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const time = new Date(dayStartMs + 10 * 3_600_000 + Math.floor(random() * 3 * 3_600_000));
    const type = TYPES[i % TYPES.length] as (typeof TYPES)[number];
    const country = pick(['DE', 'FR', 'US', 'JP']);
    const overrides = { time: time.toISOString() };
    if (type === 'page_view') {
      return sampleEvent(type, {
        ...overrides,
        data: { country, device: pick(['desktop', 'mobile', 'tablet'] as const) },
      });
    }
    if (type === 'add_to_cart') {
      return sampleEvent(type, {
        ...overrides,
        data: {
          country,
          category: pick(['books', 'games', 'tools']),
          quantity: 1 + Math.floor(random() * 9),
        },
      });
    }
    return sampleEvent(type, {
      ...overrides,
      data: { country, amount: Math.round((1 + random() * 300) * 100) / 100 },
    });
  });
}

/** Puts `events` through the pipeline's producer and waits until they are aggregated and archived. */
export async function sendAndDrain(
  pipeline: LocalPipeline,
  events: readonly StreamfoldEvent[],
): Promise<void> {
  await Promise.all(events.map((event) => pipeline.producer.put(event as never)));
  await pipeline.waitForDrain(30_000);
}

/** A reconcile target on the pipeline's own clients (left open: the pipeline closes them). */
export function pipelineTarget(pipeline: LocalPipeline, config: StreamfoldConfig) {
  return async (): Promise<ReconcileTarget> => ({
    description: 'test pipeline',
    s3: pipeline.clients.s3,
    dynamodb: pipeline.clients.dynamodb,
    bucket: config.archive.bucketName,
    tableName: config.table.name,
    close: () => undefined,
  });
}

/** Collects written text. */
export function textSink(): { write(text: string): void; text: string } {
  return {
    text: '',
    write(text: string) {
      this.text += text;
    },
  };
}
