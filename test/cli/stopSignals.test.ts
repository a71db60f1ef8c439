import { type ChildProcess, spawn } from 'node:child_process';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import { createAwsClients } from '../../local/awsClients.js';
import { sampleEvent } from '../helpers/events.js';
import { childrenOf, groupMembers, isListening, waitUntil } from '../helpers/ProcessGroup.js';

/*
 * Invariant: SIGINT, SIGTERM or SIGHUP, sent to the runtime's process or to its
 * whole process group, by hand or through `npm start`, flushes everything put
 * before the signal into the aggregates and the archive and stops every process
 * of the runtime, so no port stays taken.
 */

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const READY_LINE = 'Ctrl-C flushes everything and stops.';
const config = loadConfig();
const EVENT_COUNT = 40;
const TEST_TIMEOUT_MS = 180_000;
/** Every npm script runs on the Node.js 24 npm installs into node_modules. */
const ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${REPO_ROOT}node_modules/.bin:${process.env.PATH}`,
};

interface Launched {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let running: Launched[] = [];

afterEach(() => {
  for (const { child } of running) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch (error) {
      // ESRCH: the group is gone already, as it should be.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  running = [];
});

/** Starts `command` in a process group of its own, collecting its output. */
function launch(command: string, args: readonly string[], env = ENV): Launched {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const launched = { child, output: () => output, exited };
  running.push(launched);
  return launched;
}

const LAUNCHERS = {
  node: ['node bin/streamfold.js start', process.execPath, ['bin/streamfold.js', 'start']],
  npm: ['npm start', 'npm', ['start', '--']],
} as const;

/** The endpoints the banner printed, by label. */
function endpointsOf(output: string): Record<string, string> {
  const endpoints: Record<string, string> = {};
  for (const label of ['Kinesis', 'DynamoDB', 'S3', 'HTTP', 'Firehose']) {
    const match = new RegExp(`^\\s+${label}\\s+(http://\\S+)`, 'm').exec(output);
    if (!match?.[1]) throw new Error(`no ${label} endpoint in the banner:\n${output}`);
    endpoints[label] = match[1];
  }
  return endpoints;
}

function statusFigures(line: string): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const part of line.replace(/^stopped\. /, '').split(' · ')) {
    const match = /^(.*?) (\d+)/.exec(part.trim());
    if (match?.[1] && match[2]) figures[match[1]] = Number(match[2]);
  }
  return figures;
}

describe.each([
  ['node', 'the runtime process'],
  ['node', 'the process group'],
  ['npm', 'the runtime process'],
  ['npm', 'the process group'],
] as const)('%s start, a signal to %s', (launcher, target) => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    'flushes what was put and stops every process on %s',
    async (signal) => {
      // Prepare
      const [, command, args] = LAUNCHERS[launcher];
      const runtime = launch(command, [...args, '--no-demo', '--ephemeral-ports']);
      await waitUntil(
        () => runtime.output().includes(READY_LINE) || runtime.child.exitCode !== null,
        'the banner',
        90_000,
      );
      const endpoints = endpointsOf(runtime.output());
      const group = runtime.child.pid as number;
      const runtimePid =
        launcher === 'node' ? group : (childrenOf(group, 'bin/streamfold.js')[0] as number);
      expect(runtimePid, 'the runtime process npm started').toBeGreaterThan(0);
      const { kinesis } = createAwsClients(
        {
          kinesis: endpoints.Kinesis as string,
          dynamodb: endpoints.DynamoDB as string,
          s3: endpoints.S3 as string,
        },
        config.local.region,
      );
      const events = Array.from({ length: EVENT_COUNT }, (_, i) =>
        sampleEvent('purchase', { data: { orderId: `signal-${i}` } }),
      );
      const put = await kinesis.send(
        new PutRecordsCommand({
          StreamName: config.stream.name,
          Records: events.map((event) => ({
            PartitionKey: event.id,
            Data: Buffer.from(`${JSON.stringify(event)}\n`),
          })),
        }),
      );
      kinesis.destroy();
      expect(put.FailedRecordCount ?? 0).toBe(0);
      const ports = Object.values(endpoints).map((endpoint) => Number(new URL(endpoint).port));

      // Act
      process.kill(target === 'the process group' ? -group : runtimePid, signal);
      const exit = await runtime.exited;
      const stopMs = await waitUntil(() => groupMembers(group).length === 0, 'group gone', 60_000);

      // Assess
      const output = runtime.output();
      // npm forwards only SIGINT and SIGTERM; SIGHUP to its group ends npm itself, and the
      // runtime, left with a new parent, flushes and stops all the same.
      const npmDiesOfIt =
        launcher === 'npm' && target === 'the process group' && signal === 'SIGHUP';
      expect(exit, output).toEqual(
        npmDiesOfIt ? { code: null, signal } : { code: 0, signal: null },
      );
      expect(output).toContain(`stopping (${signal}): flushing producer, handler and archive…`);
      const stopped = /^stopped\. (.*)$/m.exec(output)?.[1];
      expect(stopped, output).toBeDefined();
      const figures = statusFigures(stopped as string);
      expect(figures.folded, 'events folded before the stop').toBe(EVENT_COUNT);
      expect(figures.archived, 'events archived before the stop').toBe(EVENT_COUNT);
      expect(ports.filter(isListening), `ports still taken ${stopMs} ms after`).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});

describe.each([['SIGINT'], ['SIGTERM']] as const)(
  'load with an embedded stack, on %s',
  (signal) => {
    it(
      'abandons the run with exit code 1 and leaves no emulator or worker behind',
      async () => {
        // Prepare: nothing listens on the Kinesis port asked for, so load starts its own stack.
        const load = launch(process.execPath, ['bin/streamfold.js', 'load', '--rate', '200'], {
          ...ENV,
          STREAMFOLD_KINESIS_PORT: '1',
        });
        await waitUntil(
          () => /^load \S+: 200 events\/s/m.test(load.output()) || load.child.exitCode !== null,
          'the load to start',
          90_000,
        );
        const group = load.child.pid as number;
        expect(groupMembers(group).length, 'the runtime and its emulators').toBeGreaterThan(1);

        // Act
        process.kill(group, signal);
        const exit = await load.exited;
        const goneMs = await waitUntil(
          () => groupMembers(group).length === 0,
          'group gone',
          10_000,
        );

        // Assess
        expect(exit, load.output()).toEqual({ code: 1, signal: null });
        expect(load.output()).toContain(
          `streamfold load: stopping (${signal}); the run is abandoned`,
        );
        expect(goneMs).toBeLessThan(10_000);
      },
      TEST_TIMEOUT_MS,
    );
  },
);
