import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { portInUseErrorOf } from '../../cli/assertLocalPortsFree.js';
import { PortInUseError } from '../../cli/errors.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { startEmulators } from '../../local/emulators/startEmulators.js';

const BIN = fileURLToPath(new URL('../../bin/streamfold.js', import.meta.url));
const HOST = '127.0.0.1';

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A port another process holds for the length of the test. */
function occupiedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, HOST, () => {
      servers.push(server);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/**
 * Ports free right now, for the services the test does not make busy. Every port is held
 * until all are chosen: a port closed at once can be handed out again by the next
 * `listen(0)`, and two services on one port is a usage error (exit 2), not the busy port.
 */
async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    ports.push(
      await new Promise<number>((resolve) => {
        const server = createServer().listen(0, HOST, () => {
          held.push(server);
          resolve((server.address() as { port: number }).port);
        });
      }),
    );
  }
  await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/**
 * Whether the process group `pgid` is gone within `timeoutMs`: helpers of the main process
 * (tsx's esbuild service) exit once it has, a moment later.
 */
async function groupGone(pgid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
      throw error;
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `streamfold start` in a process group of its own, so the whole tree can be checked after. */
function start(argv: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, 'start', '--no-demo', ...argv], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string; pid: number }>(
    (resolve) =>
      child.once('exit', (code) => resolve({ code, stdout, stderr, pid: child.pid as number })),
  );
}

describe('streamfold start on a busy port', () => {
  it('names the port, its service and the flag that moves it, exits 1 and leaves no process', async () => {
    // Prepare
    const busy = await occupiedPort();
    const [dynamodb, s3, firehose, http] = (await freePorts(4)).map(String) as string[];

    // Act
    const result = await start([
      ...['--kinesis-port', String(busy), '--dynamodb-port', dynamodb as string],
      ...['--s3-port', s3 as string, '--firehose-port', firehose as string],
      ...['--http-port', http as string],
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `streamfold start: port ${busy} (Kinesis emulator) on ${HOST} is in use; choose another with --kinesis-port or STREAMFOLD_KINESIS_PORT\n`,
    );
    expect(await groupGone(result.pid)).toBe(true);
  });

  it('names the flag and the variable when the port came from the environment', async () => {
    // Prepare
    const busy = await occupiedPort();
    const [kinesis, dynamodb, s3, firehose] = (await freePorts(4)).map(String) as string[];

    // Act
    const result = await start([], {
      STREAMFOLD_KINESIS_PORT: kinesis as string,
      STREAMFOLD_DYNAMODB_PORT: dynamodb as string,
      STREAMFOLD_S3_PORT: s3 as string,
      STREAMFOLD_FIREHOSE_PORT: firehose as string,
      STREAMFOLD_HTTP_PORT: String(busy),
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `streamfold start: port ${busy} (HTTP server) on ${HOST} is in use; choose another with --http-port or STREAMFOLD_HTTP_PORT\n`,
    );
    expect(await groupGone(result.pid)).toBe(true);
  });
});

describe('portInUseErrorOf', () => {
  it('names the service of an EADDRINUSE an emulator process reports', async () => {
    // Prepare: the emulator's port is taken after any check could have run
    const busy = await occupiedPort();
    const config = loadConfig({
      local: { ports: { ...loadConfig().local.ports, dynamodb: busy } },
    });

    // Act
    const error = await startEmulators({ host: HOST, ports: { dynamodb: busy } }).catch(
      (e: unknown) => e,
    );
    const named = portInUseErrorOf(error, config);

    // Assess
    expect(error).toMatchObject({ code: 'EADDRINUSE', port: busy });
    expect(named).toBeInstanceOf(PortInUseError);
    expect(named?.message).toBe(
      `port ${busy} (DynamoDB emulator) on ${HOST} is in use; choose another with --dynamodb-port or STREAMFOLD_DYNAMODB_PORT`,
    );
  });

  it('names the port of a busy S3 emulator too, whose server throws rather than rejects', async () => {
    // Prepare
    const busy = await occupiedPort();
    const config = loadConfig({ local: { ports: { ...loadConfig().local.ports, s3: busy } } });

    // Act
    const error = await startEmulators({ host: HOST, ports: { s3: busy } }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toMatchObject({ code: 'EADDRINUSE', port: busy });
    expect(portInUseErrorOf(error, config)?.owner.flag).toBe('--s3-port');
  });

  it('leaves other errors alone', () => {
    expect(portInUseErrorOf(new Error('boom'), loadConfig())).toBeUndefined();
  });
});
