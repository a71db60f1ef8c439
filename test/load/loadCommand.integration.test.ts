import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import { AGGREGATE_ATTRIBUTES as A } from '../../functions/aggregate/DynamoAggregateStore.js';
import { type LoadTarget, startEmbeddedTarget } from '../../load/connectTarget.js';
import { parseLoadArgs } from '../../load/parseLoadArgs.js';
import { runLoadCommand } from '../../load/runLoadCommand.js';
import { scanAggregates } from '../../load/scanAggregates.js';
import { VerifyRefusedError } from '../../load/VerifyRefusedError.js';

const config = loadConfig();
let target: LoadTarget;

/** A write stream that keeps what is written, standing in for stdout/stderr. */
function capture(): NodeJS.WriteStream & { text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return Object.assign(stream as unknown as NodeJS.WriteStream, {
    text: () => Buffer.concat(chunks).toString('utf8'),
  });
}

beforeAll(async () => {
  target = await startEmbeddedTarget(config);
});

afterAll(async () => {
  await target?.close();
});

describe('npm run load against the local pipeline', () => {
  it('reports the run, writes the JSON files and passes --verify when the aggregates match', async () => {
    // Prepare
    const dir = tmpdir();
    const jsonFile = join(dir, `load-report-${process.pid}.json`);
    const truthFile = join(dir, `load-truth-${process.pid}.json`);
    const args = parseLoadArgs([
      ...['--rate', '3000', '--duration', '3', '--keys', '500', '--skew', 'zipf:1.1'],
      ...['--verify', '--report', jsonFile, '--ground-truth', truthFile],
    ]);
    const out = capture();

    // Act
    const { exitCode, report } = await runLoadCommand(args, {
      config,
      connect: async () => ({ ...target, close: async () => undefined }),
      out,
      err: capture(),
    });

    // Assess
    expect(exitCode).toBe(0);
    expect(report.events).toEqual({ put: 9_000, acknowledged: 9_000, failed: 0, expired: 0 });
    expect(report.verify).toMatchObject({ passed: true, mismatches: 0 });
    expect(report.eventsPerRecord).toBeGreaterThan(10);
    // kinesalite enforces no shard limits, so --pacing auto does not pace against it.
    expect(report.pacing).toBe(false);
    expect(out.text()).toMatch(/packing ndjson, not paced/);
    expect(out.text()).toMatch(/verify\s+passed: \d+ aggregates match the ground truth/);
    expect(JSON.parse(await readFile(jsonFile, 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(report)),
    );
    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as Record<
      string,
      { count: number }
    >;
    const events = Object.entries(truth)
      .filter(([key]) => key.startsWith('events#') && key.includes('|1d#'))
      .reduce((sum, [, item]) => sum + item.count, 0);
    expect(events).toBe(9_000);
  });

  it('exits 1 and names the item when an aggregate does not match', async () => {
    // Prepare: after the drain, one stored count is bumped behind the pipeline's back
    const args = parseLoadArgs([
      '--rate',
      '1000',
      '--duration',
      '1',
      '--verify',
      '--verify-timeout',
      '4',
    ]);
    const tampering: LoadTarget = {
      ...target,
      close: async () => undefined,
      waitForDrain: async () => {
        await target.waitForDrain?.();
        const [key] = (await scanAggregates(target.dynamodb, target.tableName)).keys();
        const [pk, sk] = (key as string).split('|');
        await target.dynamodb.send(
          new UpdateItemCommand({
            TableName: target.tableName,
            Key: { [A.partitionKey]: { S: pk as string }, [A.sortKey]: { S: sk as string } },
            UpdateExpression: 'ADD #cnt :one',
            ExpressionAttributeNames: { '#cnt': A.count },
            ExpressionAttributeValues: { ':one': { N: '1' } },
          }),
        );
      },
    };
    const out = capture();

    // Act
    const { exitCode, report } = await runLoadCommand(args, {
      config,
      connect: async () => tampering,
      out,
      err: capture(),
    });

    // Assess
    expect(exitCode).toBe(1);
    expect(report.verify?.passed).toBe(false);
    expect(report.verify?.mismatches).toBeGreaterThanOrEqual(1);
    expect(out.text()).toMatch(/verify\s+FAILED/);
    expect(out.text()).toMatch(/mismatch: .+\|.+: (count is \d+, expected \d+|changed although)/);
  });

  it('refuses --verify at once, sending nothing, while another producer writes to the table', async () => {
    // Prepare: a second producer keeps writing while the load command starts
    const args = parseLoadArgs(['--rate', '1000', '--duration', '1', '--verify']);
    let writing = true;
    const otherProducer = (async () => {
      for (let i = 0; writing; i++) {
        await target.dynamodb.send(
          new UpdateItemCommand({
            TableName: target.tableName,
            Key: { [A.partitionKey]: { S: 'events#type=other' }, [A.sortKey]: { S: `1m#${i}` } },
            UpdateExpression: 'ADD #cnt :one',
            ExpressionAttributeNames: { '#cnt': A.count },
            ExpressionAttributeValues: { ':one': { N: '1' } },
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const err = capture();

    // Act
    const run = runLoadCommand(args, {
      config,
      connect: async () => ({ ...target, close: async () => undefined }),
      out: capture(),
      err,
      quietCheckMs: 1_000,
    });

    // Assess
    try {
      await expect(run).rejects.toThrow(VerifyRefusedError);
      await expect(run).rejects.toThrow(/another producer is writing to the stream.*--no-demo/);
      // The run's announcement and progress come after the check: nothing was sent.
      expect(err.text()).toMatch(/checking for 1 s that nothing else writes/);
      expect(err.text()).not.toMatch(/^load [0-9a-f]{8}:|generating/m);
    } finally {
      writing = false;
      await otherProducer;
    }
  });
});
