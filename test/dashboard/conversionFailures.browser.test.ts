import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { sampleEvent } from '../helpers/events.js';
import { openHeadlessPage } from '../helpers/headlessChromium.js';

/**
 * "If Firehose can't parse or deserialize a record (for example, when the data doesn't match
 * the schema), it writes it to Amazon S3 with an error prefix." (Record format conversion,
 * https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html). The
 * dashboard's health panel counts those records, so an operator sees them without listing
 * the bucket.
 */
/** Records of one unparsable line each, put straight on the stream. */
const UNCONVERTIBLE = 2;
const config: StreamfoldConfig = loadConfig({
  local: { demoRate: 0 },
  archive: { format: 'parquet', bufferingInterval: '1s' },
});

describe('dashboard conversion failures in headless Chromium', () => {
  let pageErrors: string[] = [];
  let pipeline: LocalPipeline;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    pipeline = await startLocalPipeline({ config, ephemeralPorts: true });
    ({ browser, page, pageErrors } = await openHeadlessPage({ width: 1280, height: 800 }));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  it('shows the Parquet conversion failures, 0 while every record converts', async () => {
    // Prepare
    await pipeline.producer.put(sampleEvent('purchase'));
    await pipeline.waitForDrain(30_000);

    // Act
    await page.goto(`${pipeline.httpUrl}/`);

    // Assess
    const failures = page.getByTestId('health-conversion-failures');
    await expect.poll(() => failures.isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => failures.getAttribute('data-value'), { timeout: 15_000 }).toBe('0');
    expect(await failures.textContent()).toBe('0');
  });

  it('counts each record that could not be converted, as the pipeline and the bucket do', async () => {
    // Act: lines that are not JSON cannot be converted to the table's columns
    for (let i = 0; i < UNCONVERTIBLE; i++) {
      await pipeline.clients.kinesis.send(
        new PutRecordCommand({
          StreamName: config.stream.name,
          PartitionKey: `unconvertible-${i}`,
          Data: Buffer.from('{"type": "purchase", \n'),
        }),
      );
    }
    await pipeline.waitForDrain(30_000);

    // Assess: the live refresh (every 5 s) picks it up
    const failures = page.getByTestId('health-conversion-failures');
    await expect
      .poll(() => failures.getAttribute('data-value'), { timeout: 15_000 })
      .toBe(String(UNCONVERTIBLE));
    expect(await failures.textContent()).toBe(String(UNCONVERTIBLE));
    expect(pipeline.status().archiveConversionFailures).toBe(UNCONVERTIBLE);
    const errors = await pipeline.clients.s3.send(
      new ListObjectsV2Command({ Bucket: config.archive.bucketName, Prefix: 'errors/' }),
    );
    const keys = (errors.Contents ?? []).map((o) => o.Key);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toContain('/format-conversion-failed/');
    expect(pageErrors).toEqual([]);
  });
});
