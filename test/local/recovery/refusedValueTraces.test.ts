import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { readAggregates } from '../readAggregates.js';
import {
  BUCKET,
  deliver,
  type FaultRule,
  faultyClient,
  handlerDeps,
  midHour,
  newTable,
  purchase,
  rec,
  refused,
  useHarness,
} from './harness.js';

/**
 * A value DynamoDB refuses (injected as in `test/local/refusedByStore.test.ts`)
 * leaves no trace in the items: the empty update that moves the watermarks
 * past its record adds no zero-count bucket. With the real S3 rejects sink,
 * the event refused by three items (1m, 1h, 1d) is kept once per item.
 */

const POISON = '777.77';
const harness = useHarness();

describe('a value the store refuses', () => {
  it('leaves no zero-count bucket and one reject per refused item in the S3 sink', async () => {
    const h = harness();
    const table = await newTable(h);
    const now = midHour();
    const t = new Date(now - 60_000).toISOString();
    const rules: { current: FaultRule | undefined } = {
      current: (r) => {
        if (r.command !== 'UpdateItemCommand') return undefined;
        const values = (r.input.ExpressionAttributeValues ?? {}) as Record<string, { N?: string }>;
        return Object.values(values).some((v) => v.N === POISON) ? refused() : undefined;
      },
    };
    const client = faultyClient(h, rules);
    const deps = handlerDeps(h, client, table, { now });
    expect(
      await deliver(deps, [rec(1, [purchase(10, 'DE', t), purchase(Number(POISON), 'DE', t)])]),
    ).toBeUndefined();

    const stored = await readAggregates(h.clients.dynamodb, table);
    const zeroBuckets = [...stored].flatMap(([key, f]) =>
      Object.entries(f.buckets ?? {})
        .filter(([, n]) => n === 0)
        .map(([bucket]) => `${key} ${bucket}`),
    );
    expect.soft(zeroBuckets).toEqual([]);

    const listing = await h.clients.s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `rejects/${table}/` }),
    );
    const lines: string[] = [];
    for (const object of listing.Contents ?? []) {
      const body = await h.clients.s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: object.Key as string }),
      );
      lines.push(...((await body.Body?.transformToString()) ?? '').split('\n').filter(Boolean));
    }
    const refusedEntries = lines.filter((l) => l.includes('refused_by_store'));
    expect.soft(refusedEntries).toHaveLength(3);
  });
});
