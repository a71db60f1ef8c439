import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { validateEventObject } from '../../../core/events/validateEvent.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { S3DeliveryBuffer } from '../../../local/archiver/S3DeliveryBuffer.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { parseArchiveArgs } from '../../../ops/archive/parseArchiveArgs.js';
import { runArchiveCommand } from '../../../ops/archive/runArchiveCommand.js';
import { sampleEvent } from '../../helpers/events.js';
import { terminalControlsIn } from '../../helpers/terminalControls.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const config = loadConfig();
const BUCKET = 'archive-hostile-output-test';
const ARRIVAL = '2026-11-22T10:40:00Z';
const RANGE = ['--since', '2026-11-22T10:00:00Z', '--until', '2026-11-22T11:00:00Z'];
/** Sets the terminal title to "pwned" (OSC 0 … BEL), then clears the line (CSI 2K). */
const TITLE_CHANGE = '\u001b]0;pwned\u0007\u001b[2K';
const FORMULA = '=HYPERLINK("http://evil.example","x")';
const SQL = 'SELECT source FROM events ORDER BY source';

let emulators: RunningEmulators;
let s3: S3Client;
let cacheDir: string;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runArchiveCommand(parseArchiveArgs([...argv, '--cache-dir', cacheDir]), {
    config,
    connect: async () => ({
      description: 'test s3rver',
      s3,
      bucket: BUCKET,
      close: () => undefined,
    }),
    out: { write: (text: string) => (out += text) },
    err: { write: (text: string) => (err += text) },
  });
  return { code, out, err };
}

beforeAll(async () => {
  const started = await startTestEmulators({ s3: true });
  emulators = started.emulators;
  s3 = started.clients.s3;
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  cacheDir = await mkdtemp(join(tmpdir(), 'archive-hostile-'));
  const events = [TITLE_CHANGE, FORMULA].map((source) =>
    sampleEvent('purchase', { source, time: '2026-11-22T10:39:00Z' }),
  );
  // Both are valid events: a source is any string of 1 to 128 characters.
  for (const event of events) expect(validateEventObject(event, webShopCatalog).ok).toBe(true);
  const buffer = new S3DeliveryBuffer({
    s3,
    bucket: BUCKET,
    prefix: config.archive.prefix,
    deliveryStreamName: `${config.stream.name}-archive`,
    bufferingSizeBytes: 1 << 20,
    bufferingIntervalMs: 60_000,
  });
  await buffer.add(
    Buffer.from(events.map((event) => `${JSON.stringify(event)}\n`).join('')),
    new Date(ARRIVAL),
  );
  await buffer.flush();
}, 30_000);

afterAll(async () => {
  s3?.destroy();
  await emulators?.stop();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe('streamfold archive query over an archived event with a hostile source', () => {
  it('shows the control characters escaped in a table', async () => {
    // Act
    const { code, out, err } = await run(['query', SQL, ...RANGE]);

    // Assess
    expect(code).toBe(0);
    expect(terminalControlsIn(out)).toEqual([]);
    expect(terminalControlsIn(err)).toEqual([]);
    expect(out).toContain('\\u001b]0;pwned\\u0007\\u001b[2K');
    expect(out).toContain(FORMULA);
  });

  it('writes CSV as stored but for the formula, which is neutralised and quoted', async () => {
    // Act
    const { code, out } = await run(['query', SQL, ...RANGE, '--format', 'csv']);

    // Assess
    expect(code).toBe(0);
    expect(out.split('\n')).toEqual([
      'source',
      TITLE_CHANGE,
      `"'=HYPERLINK(""http://evil.example"",""x"")"`,
      '',
    ]);
  });

  it('keeps the values exact in JSON', async () => {
    // Act: JSON escapes control characters itself
    const { code, out } = await run(['query', SQL, ...RANGE, '--format', 'json']);

    // Assess
    expect(code).toBe(0);
    expect(terminalControlsIn(out)).toEqual([]);
    expect(JSON.parse(out)).toEqual([{ source: TITLE_CHANGE }, { source: FORMULA }]);
  });

  it('shows a value DuckDB quotes in an error escaped', async () => {
    // Act
    const { code, err } = await run([
      'query',
      "SELECT CAST(source AS INTEGER) FROM events WHERE source LIKE '%pwned%'",
      ...RANGE,
    ]);

    // Assess
    expect(code).toBe(1);
    expect(err).toContain('pwned');
    expect(terminalControlsIn(err)).toEqual([]);
  });
});
