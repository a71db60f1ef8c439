import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import { deliverWholeBodies } from '../../local/emulators/deliverWholeBodies.js';
import { EMULATOR_MAX_REQUEST_BYTES } from '../../local/emulators/emulatorRequestLimits.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { streamBodyUntilAnswered } from './streamBodyUntilAnswered.js';

/** The local addresses of the sockets listening on `port`, from `/proc/net/tcp` and `tcp6`. */
function listeningAddresses(port: number): string[] {
  const addresses: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      // State 0A is LISTEN; the local address is hex IP, colon, hex port.
      if (state !== '0A' || !local) continue;
      const [ip, hexPort] = local.split(':') as [string, string];
      if (Number.parseInt(hexPort, 16) !== port) continue;
      addresses.push(ip.length === 8 ? ipv4FromProc(ip) : `ipv6:${ip}`);
    }
  }
  return addresses;
}

/** `/proc/net/tcp` writes IPv4 addresses as one little-endian hex word: 0100007F is 127.0.0.1. */
function ipv4FromProc(hex: string): string {
  return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
}

function isRunning(pid: number): boolean {
  try {
    // A zombie has exited already; only its parent has not collected it yet.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

let emulators: RunningEmulators | undefined;
let pipeline: LocalPipeline | undefined;

afterEach(async () => {
  await emulators?.stop();
  await pipeline?.stop();
  emulators = undefined;
  pipeline = undefined;
});

describe('startEmulators', () => {
  it('runs each emulator in a process of its own, listening on 127.0.0.1 only', async () => {
    // Act
    emulators = await startEmulators({
      host: '127.0.0.1',
      ports: { kinesis: 0, dynamodb: 0, s3: 0 },
    });

    // Assess
    const { pids, ports } = emulators;
    expect(new Set([pids.kinesis, pids.dynamodb, pids.s3]).size).toBe(3);
    for (const pid of Object.values(pids)) expect(pid).not.toBe(process.pid);
    for (const port of [ports.kinesis, ports.dynamodb, ports.s3]) {
      expect(listeningAddresses(port as number), `port ${port}`).toEqual(['127.0.0.1']);
    }
  });

  it('starts only the emulators asked for', async () => {
    // Act
    emulators = await startEmulators({ host: '127.0.0.1', ports: { dynamodb: 0 } });

    // Assess
    expect(Object.keys(emulators.pids)).toEqual(['dynamodb']);
    expect(Object.keys(emulators.ports)).toEqual(['dynamodb']);
  });

  it('ends every emulator process when stopped', async () => {
    // Prepare
    emulators = await startEmulators({
      host: '127.0.0.1',
      ports: { kinesis: 0, dynamodb: 0, s3: 0 },
    });
    const pids = Object.values(emulators.pids);
    expect(pids.every(isRunning)).toBe(true);

    // Act
    await emulators.stop();

    // Assess
    expect(pids.filter(isRunning)).toEqual([]);
  });
});

describe('startLocalPipeline', () => {
  it('stops its emulator processes when the pipeline stops', async () => {
    // Prepare
    pipeline = await startLocalPipeline({
      config: loadConfig(),
      ephemeralPorts: true,
      demoRate: 0,
    });
    const pids = Object.values(pipeline.emulatorPids);
    expect(pids).toHaveLength(3);
    expect(pids.every(isRunning)).toBe(true);
    for (const endpoint of [pipeline.endpoints.kinesis, pipeline.endpoints.dynamodb]) {
      expect(listeningAddresses(Number(new URL(endpoint).port))).toEqual(['127.0.0.1']);
    }

    // Act
    await pipeline.stop();
    pipeline = undefined;

    // Assess
    expect(pids.filter(isRunning)).toEqual([]);
  });
});

describe('deliverWholeBodies', () => {
  it('hands a request body that arrived in many chunks to the handler as one', async () => {
    // Prepare: a handler that records the chunks it sees, as kinesalite grows its body
    const seen: number[] = [];
    const server = deliverWholeBodies(
      createServer((req, res) => {
        req.on('data', (chunk: Buffer) => seen.push(chunk.length));
        req.on('end', () => res.end(String(seen.reduce((a, b) => a + b, 0))));
      }),
      { maxBytes: EMULATOR_MAX_REQUEST_BYTES.kinesis },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const body = Buffer.alloc(1024 * 1024, 'x');

    // Act: 16 writes of 64 KiB
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST' }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      for (let offset = 0; offset < body.length; offset += 64 * 1024) {
        req.write(body.subarray(offset, offset + 64 * 1024));
      }
      req.end();
    });
    await new Promise((resolve) => server.close(resolve));

    // Assess
    expect(answer).toBe(String(body.length));
    expect(seen).toEqual([body.length]);
  });

  it('lets a request without a body through', async () => {
    // Prepare
    const server = deliverWholeBodies(
      createServer((_req, res) => res.end('ok')),
      { maxBytes: EMULATOR_MAX_REQUEST_BYTES.kinesis },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    // Act
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request({ host: '127.0.0.1', port }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
        .on('error', reject)
        .end();
    });
    await new Promise((resolve) => server.close(resolve));

    // Assess
    expect(status).toBe(200);
  });

  describe('a body over the limit', () => {
    const MAX_BYTES = 1_048_576;
    let handled = 0;
    const server = deliverWholeBodies(
      createServer((_req, res) => {
        handled += 1;
        res.end('ok');
      }),
      { maxBytes: MAX_BYTES },
    );
    let endpoint = '';

    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('is refused with 413 as soon as a chunked one passes it, before the handler sees it', async () => {
      // Act: 64 MiB offered, 64 times the limit
      const answer = await streamBodyUntilAnswered(
        endpoint,
        { 'content-type': 'application/x-amz-json-1.0' },
        64 * MAX_BYTES,
      );

      // Assess: answered while most of the body was still unsent, i.e. reading stopped
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({
        __type: 'com.amazon.coral.service#SerializationException',
        message: `request body over ${MAX_BYTES} bytes`,
      });
      expect(answer.headers.connection).toBe('close');
      expect(answer.sentWhenAnswered).toBeLessThan(16 * MAX_BYTES);
      expect(handled).toBe(0);
    });

    it('is refused with 413 before a byte is read when Content-Length declares it', async () => {
      // Act: the head alone, declaring one byte over the limit
      const answer = await streamBodyUntilAnswered(
        endpoint,
        { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(MAX_BYTES + 1) },
        0,
      );

      // Assess
      expect(answer.status).toBe(413);
      expect(answer.headers['content-type']).toBe('application/x-amz-json-1.1');
      expect(JSON.parse(answer.body)).toMatchObject({
        message: `request body over ${MAX_BYTES} bytes`,
      });
      expect(handled).toBe(0);
    }, 5_000);
  });
});
