import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InFlightBytes } from '../../../local/http/InFlightBytes.js';
import { readRequestBody } from '../../../local/http/readRequestBody.js';
import {
  RequestBodyError,
  RequestBodyTooLargeError,
} from '../../../local/http/requestBodyErrors.js';
import { gate, uploadBody as upload } from '../../helpers/uploadBody.js';

const MAX_BYTES = 64 * 1024;

interface Seen {
  /** Body bytes the server handed to the route, or the refusal. */
  outcome: number | RequestBodyError;
}

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server whose only route reads the body and answers its size, or the refusal's status. */
async function bodyServer(
  inFlight?: InFlightBytes,
  idleTimeoutMs?: number,
): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer(async (request, response) => {
    try {
      const body = await readRequestBody(request, response, {
        maxBytes: MAX_BYTES,
        inFlight,
        ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
      });
      seen.push({ outcome: body.length });
      // Held a little, so a second request finds these bytes in flight.
      await new Promise((resolve) => setTimeout(resolve, 50));
      response.end(String(body.length));
    } catch (error) {
      if (!(error instanceof RequestBodyError)) throw error;
      seen.push({ outcome: error });
      const retryAfter: Record<string, string> =
        error.statusCode === 503 ? { 'retry-after': '1' } : {};
      response.writeHead(error.statusCode, retryAfter).end(error.message);
    }
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, seen };
}

describe('readRequestBody', () => {
  it('hands over a body at the limit whole', async () => {
    const { port, seen } = await bodyServer(new InFlightBytes(MAX_BYTES));

    const chunked = await upload(port, MAX_BYTES);
    const declared = await upload(port, MAX_BYTES, { declare: true });

    expect([chunked.status, declared.status]).toEqual([200, 200]);
    expect(seen.map((s) => s.outcome)).toEqual([MAX_BYTES, MAX_BYTES]);
  });

  it('answers 413 to a Content-Length over the limit before reading a byte', async () => {
    // Prepare: the client declares 100 MiB but sends nothing until told
    const { port, seen } = await bodyServer();
    const { opened: release, open: releaseBody } = gate();

    // Act
    const answer = await upload(port, 100 * 1024 * 1024, { declare: true, holdAfter: 0, release });
    releaseBody();

    // Assess
    expect(answer).toMatchObject({ status: 413, written: 0 });
    const [refusal] = seen.map((s) => s.outcome);
    expect(refusal).toBeInstanceOf(RequestBodyTooLargeError);
    expect(refusal).toMatchObject({ bodyBytes: 100 * 1024 * 1024, declared: true });
  });

  it('answers 413 as soon as a chunked body passes the limit, also one of 80 MiB', async () => {
    const { port, seen } = await bodyServer();

    // Act: a body that would be 80 MiB, over the 64 MiB a server once read before refusing
    const answer = await upload(port, 80 * 1024 * 1024);

    // Assess: answered, not cut off; reading stopped one chunk past the limit
    expect(answer.status).toBe(413);
    const [refusal] = seen.map((s) => s.outcome);
    expect(refusal).toBeInstanceOf(RequestBodyTooLargeError);
    expect((refusal as RequestBodyTooLargeError).bodyBytes).toBeLessThanOrEqual(
      MAX_BYTES + 64 * 1024,
    );
    // What the client got to write is bounded by socket buffers, far from 80 MiB.
    expect(answer.written).toBeLessThan(16 * 1024 * 1024);
  });

  describe.each([
    ['a declared length', true],
    ['a chunked body', false],
  ])('with %s over the bytes in flight', (_name, declare) => {
    it('answers 503 with Retry-After while another body is held, then takes it', async () => {
      // Prepare: one request holds 48 KiB of a 64 KiB budget: the bytes it sent, not its length
      const inFlight = new InFlightBytes(MAX_BYTES);
      const { port, seen } = await bodyServer(inFlight);
      const { opened: release, open: releaseFirst } = gate();
      const first = upload(port, MAX_BYTES, { declare: true, holdAfter: 48 * 1024, release });
      await expect.poll(() => inFlight.heldBytes).toBe(48 * 1024);

      // Act
      const refused = await upload(port, 48 * 1024, { declare });
      releaseFirst();
      const firstAnswer = await first;
      const retried = await upload(port, 48 * 1024, { declare });

      // Assess
      expect(refused).toMatchObject({ status: 503, retryAfter: '1' });
      expect(firstAnswer.status).toBe(200);
      expect(retried.status).toBe(200);
      expect(
        seen.map((s) => (typeof s.outcome === 'number' ? s.outcome : s.outcome.statusCode)),
      ).toEqual([503, MAX_BYTES, 48 * 1024]);
      await expect.poll(() => inFlight.heldBytes).toBe(0);
    });
  });

  it('holds nothing for a length declared and not sent, so a stalled client shuts no one out', async () => {
    // Prepare: a client declares the whole budget and sends its first 16 KiB
    const inFlight = new InFlightBytes(MAX_BYTES);
    const { port } = await bodyServer(inFlight);
    const { opened: release, open: releaseStalled } = gate();
    const stalled = upload(port, MAX_BYTES, { declare: true, holdAfter: 16 * 1024, release });
    await expect.poll(() => inFlight.heldBytes).toBe(16 * 1024);

    // Act
    const other = await upload(port, 48 * 1024, { declare: true });
    releaseStalled();
    await stalled;

    // Assess
    expect(other.status).toBe(200);
  });

  it('answers 408 to a body that pauses too long and gives back what it held', async () => {
    // Prepare
    const inFlight = new InFlightBytes(MAX_BYTES);
    const { port, seen } = await bodyServer(inFlight, 200);
    const { opened: release, open: releaseStalled } = gate();

    // Act: 16 KiB, then nothing
    const stalled = upload(port, 32 * 1024, { declare: true, holdAfter: 16 * 1024, release });
    await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(1);
    releaseStalled();
    const answer = await stalled;

    // Assess
    expect(answer.status).toBe(408);
    expect(seen[0]?.outcome).toMatchObject({
      message: 'no byte of the request body arrived for 0.2 s; send the body without pausing',
    });
    await expect.poll(() => inFlight.heldBytes).toBe(0);
  });
});
