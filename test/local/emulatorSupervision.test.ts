import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { scanAggregates } from '../../load/scanAggregates.js';
import { createAwsClients } from '../../local/awsClients.js';
import { startEmulators } from '../../local/emulators/startEmulators.js';
import { LocalRuntimeProcess } from '../helpers/LocalRuntimeProcess.js';
import { commandLineOf, groupMembers, isListening, waitUntil } from '../helpers/ProcessGroup.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';

/*
 * Invariants: an emulator process that dies is noticed within seconds; with its
 * state on disk (--data-dir) it is restarted and every aggregate still equals
 * the ground truth (the handler's per-item watermarks and the checkpoints make a
 * batch cut off by the kill count once); with its state in memory the runtime
 * stops with exit code 1 naming the emulator and the signal. Whatever dies,
 * no emulator outlives the runtime's process.
 */

const config = loadConfig();
const EVENT_COUNT = 6_000;
const GROUPS = 120;
const PUT_BATCH = 500;
/** Nothing listens here: the aggregates reader needs only DynamoDB. */
const UNUSED_ENDPOINT = 'http://127.0.0.1:1';
const TEST_TIMEOUT_MS = 240_000;

let runtimes: LocalRuntimeProcess[] = [];
let dataDir: string | undefined;

afterEach(async () => {
  for (const runtime of runtimes) await runtime.killAll();
  runtimes = [];
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

async function startRuntime(args: readonly string[] = []): Promise<LocalRuntimeProcess> {
  const runtime = await LocalRuntimeProcess.start(['--no-demo', '--ephemeral-ports', ...args]);
  runtimes.push(runtime);
  return runtime;
}

/** The runtime's emulator process for `name`, from its process group. */
function emulatorPid(runtime: LocalRuntimeProcess, name: 'kinesis' | 'dynamodb' | 's3'): number {
  const pid = groupMembers(runtime.pid).find((member) => {
    const command = commandLineOf(member);
    return command.includes('emulatorProcess') && command.includes(`"${name}":`);
  });
  if (pid === undefined) throw new Error(`no ${name} emulator in group ${runtime.pid}`);
  return pid;
}

function httpUrlOf(runtime: LocalRuntimeProcess): string {
  const match = /^\s+HTTP\s+(http:\/\/\S+)/m.exec(runtime.output);
  if (!match?.[1]) throw new Error(`no HTTP endpoint in the banner:\n${runtime.output}`);
  return match[1];
}

function portsOf(runtime: LocalRuntimeProcess): number[] {
  return Object.values(runtime.endpoints).map((endpoint) => Number(new URL(endpoint).port));
}

async function health(url: string): Promise<{ code: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/health`);
  return { code: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('an emulator killed with its state in memory (no --data-dir)', () => {
  it(
    'stops the runtime within seconds with exit code 1, naming the emulator and the signal',
    async () => {
      // Prepare
      const runtime = await startRuntime();
      const pid = emulatorPid(runtime, 'dynamodb');
      const ports = portsOf(runtime);

      // Act
      process.kill(pid, 'SIGKILL');
      const noticedMs = await waitUntil(
        () => runtime.output.includes('stopping: dynamodb emulator'),
        'the stop',
        10_000,
      );
      const exit = await runtime.exited;
      await waitUntil(() => groupMembers(runtime.pid).length === 0, 'group gone', 15_000);

      // Assess
      expect(noticedMs).toBeLessThan(5_000);
      expect(exit).toEqual({ code: 1, signal: null });
      expect(runtime.output).toMatch(
        new RegExp(
          `stopping: dynamodb emulator \\(pid ${pid}\\) exited with signal SIGKILL at \\S+; not restarted: its state was in memory`,
        ),
      );
      expect(ports.filter(isListening)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('kill -9 of the runtime process alone', () => {
  it(
    'ends its emulator processes and frees their ports within seconds',
    async () => {
      // Prepare
      const runtime = await startRuntime();
      const ports = portsOf(runtime);
      expect(ports.every(isListening)).toBe(true);

      // Act
      process.kill(runtime.pid, 'SIGKILL');
      await runtime.exited;
      const freedMs = await waitUntil(
        () => ports.every((port) => !isListening(port)) && groupMembers(runtime.pid).length === 0,
        'emulator ports free',
        10_000,
      );

      // Assess
      expect(freedMs).toBeLessThan(5_000);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('kill -9 of the DynamoDB emulator mid-run with --data-dir, twice', () => {
  it(
    'reports it down on /health while it restarts, and counts every event exactly once',
    async () => {
      // Prepare
      dataDir = mkdtempSync(join(tmpdir(), 'streamfold-supervision-'));
      const events = purchases();
      const expected = expectedAggregates(config, events);
      const runtime = await startRuntime(['--data-dir', dataDir]);
      const url = httpUrlOf(runtime);
      const { kinesis, dynamodb } = createAwsClients(runtime.endpoints, config.local.region);
      await putAll(kinesis, events);
      const counted = async () => {
        const stored = await scanAggregates(dynamodb, config.table.name).catch(() => undefined);
        let total = 0;
        for (const [key, item] of stored ?? []) {
          if (key.startsWith('events#type=purchase|1d#')) total += item.count;
        }
        return total;
      };

      // Act: two kills while batches are written, each awaited back up
      const downBodies: unknown[] = [];
      for (const share of [0.25, 0.55]) {
        while ((await counted()) < EVENT_COUNT * share) await delay(50);
        // Counted from before this kill: the second kill must not pass on the first kill's lines.
        const exits = () => runtime.output.split('exited with signal SIGKILL').length;
        const exitsBefore = exits();
        process.kill(emulatorPid(runtime, 'dynamodb'), 'SIGKILL');
        await waitUntil(() => exits() > exitsBefore, 'seen', 5_000);
        const down = await health(url);
        expect(down.code).toBe(503);
        downBodies.push(down.body);
        await waitUntil(
          () => runtime.output.split('dynamodb emulator restarted').length > downBodies.length,
          'restarted',
          60_000,
        );
      }
      const up = await health(url);
      while ((await counted()) < EVENT_COUNT) await delay(200);
      const { code, status } = await runtime.stop();

      // Assess
      for (const body of downBodies) {
        expect(body).toEqual({
          status: 'down',
          parts: {
            kinesis: 'up',
            dynamodb: expect.stringMatching(
              /^down \(exited with signal SIGKILL at \S+Z; restarting \(\d of 3 restarts allowed within 60 s\)\)$/,
            ),
            s3: 'up',
          },
        });
      }
      expect(up).toEqual({
        code: 200,
        body: { status: 'ok', parts: { kinesis: 'up', dynamodb: 'up', s3: 'up' } },
      });
      expect(code).toBe(0);
      expect(status['on-failure'], 'records sent to the on-failure destination').toBe(0);
      expectMatchesGroundTruth(await readStoredAggregates(dataDir), expected);
    },
    TEST_TIMEOUT_MS,
  );
});

/** One purchase per record over {@link GROUPS} countries, amounts that make every min and max count. */
function purchases(): StreamfoldEvent[] {
  const start = (Math.floor(Date.now() / 60_000) - 3) * 60_000;
  return Array.from({ length: EVENT_COUNT }, (_, i) => {
    const group = i % GROUPS;
    const cents = 10_000 + 100 * group + (i % 2 === 0 ? -1 : 1) * 7 * Math.floor(i / GROUPS);
    return {
      id: `supervision-${i}`,
      type: 'purchase',
      time: new Date(start + (Math.floor(i / GROUPS) % 120) * 1_000).toISOString(),
      source: 'supervision-test',
      data: {
        orderId: `o-${i}`,
        amount: cents / 100,
        currency: 'EUR',
        items: 1,
        country: `${String.fromCharCode(65 + Math.floor(group / 26))}${String.fromCharCode(65 + (group % 26))}`,
      },
    };
  });
}

async function putAll(kinesis: KinesisClient, events: readonly StreamfoldEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += PUT_BATCH) {
    const response = await kinesis.send(
      new PutRecordsCommand({
        StreamName: config.stream.name,
        Records: events.slice(i, i + PUT_BATCH).map((event) => ({
          PartitionKey: (event.data as { country: string }).country,
          Data: Buffer.from(`${JSON.stringify(event)}\n`),
        })),
      }),
    );
    expect(response.FailedRecordCount ?? 0).toBe(0);
  }
}

/** The aggregates stored in `dir`, read through a DynamoDB emulator of its own. */
async function readStoredAggregates(dir: string) {
  const emulators = await startEmulators({
    host: config.local.host,
    ports: { dynamodb: 0 },
    dataDir: dir,
  });
  try {
    const { dynamodb } = createAwsClients(
      {
        kinesis: UNUSED_ENDPOINT,
        s3: UNUSED_ENDPOINT,
        dynamodb: `http://${config.local.host}:${emulators.ports.dynamodb}`,
      },
      config.local.region,
    );
    return await scanAggregates(dynamodb, config.table.name);
  } finally {
    await emulators.stop();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
