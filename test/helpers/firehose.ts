import { gunzipSync } from 'node:zlib';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { encodeEventLine } from '../../core/codec/ndjsonCodec.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';

/** A catalog with one free-text type, so tests can make events of any size. */
export const blobCatalog: EventCatalog = { blob: z.object({ text: z.string() }) };

/**
 * A valid `blob` event whose NDJSON line (newline included) is exactly
 * `lineBytes` long.
 *
 * @example
 * encodeEventLine(eventOfLineLength(1_000, 'e-1')).length; // 1000
 */
export function eventOfLineLength(lineBytes: number, id: string): StreamfoldEvent {
  const event = {
    id,
    type: 'blob',
    time: '2026-11-22T10:00:00.000Z',
    source: 'test',
    data: { text: '' },
  };
  const padding = lineBytes - encodeEventLine(event).length;
  if (padding < 0) throw new Error(`an event line is at least ${lineBytes - padding} bytes`);
  event.data.text = 'x'.repeat(padding);
  return event;
}

/** One object the delivery wrote: its key, headers and gunzipped text. */
export interface DeliveredObject {
  key: string;
  contentEncoding: string | undefined;
  text: string;
}

/** Every object under `prefix` in `bucket`, read and gunzipped. */
export async function readDeliveredObjects(
  s3: S3Client,
  bucket: string,
  prefix = '',
): Promise<DeliveredObject[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key as string));
    token = page.NextContinuationToken;
  } while (token);
  const objects: DeliveredObject[] = [];
  for (const key of keys.sort()) {
    const object: GetObjectCommandOutput = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key }),
    );
    const body = await (
      object.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();
    objects.push({
      key,
      contentEncoding: object.ContentEncoding,
      text: gunzipSync(body).toString('utf8'),
    });
  }
  return objects;
}

/** The NDJSON lines of the objects, in key order. */
export function linesOf(objects: readonly DeliveredObject[]): string[] {
  return objects.flatMap((o) => o.text.split('\n').filter((line) => line.length > 0));
}
