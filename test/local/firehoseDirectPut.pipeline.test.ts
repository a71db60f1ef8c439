import { DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticRootOf } from '../../core/codec/firehosePrefix.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { sampleEventGenerator } from '../../examples/web-shop/sampleEvents.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { FirehoseProducer } from '../../producers/FirehoseProducer.js';
import { linesOf, readDeliveredObjects } from '../helpers/firehose.js';

describe('direct-PUT delivery stream of the local pipeline', () => {
  const config = loadConfig({ local: { demoRate: 0 } });
  const directRoot = staticRootOf(config.directPut.prefix);
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0 });
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('serves the configured delivery stream on its own endpoint, writing into the archive bucket', async () => {
    // Act
    const { DeliveryStreamDescription: description } = await pipeline.directPut.client.send(
      new DescribeDeliveryStreamCommand({
        DeliveryStreamName: config.directPut.deliveryStreamName,
      }),
    );

    // Assess
    expect(pipeline.endpoints.firehose).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(pipeline.directPut.endpoint).toBe(pipeline.endpoints.firehose);
    expect(description?.Destinations?.[0]?.ExtendedS3DestinationDescription).toMatchObject({
      BucketARN: `arn:aws:s3:::${config.archive.bucketName}`,
      Prefix: config.directPut.prefix,
      ErrorOutputPrefix: config.directPut.errorOutputPrefix,
    });
  });

  it('archives events put with FirehoseProducer under the direct-PUT prefix only', async () => {
    // Prepare
    const producer = new FirehoseProducer({
      catalog: webShopCatalog,
      client: pipeline.directPut.client,
      deliveryStreamName: pipeline.directPut.deliveryStreamName,
    });
    const next = sampleEventGenerator({ source: 'direct-put-test' });
    const events = Array.from({ length: 2_000 }, next);

    // Act
    await Promise.all(events.map((event) => producer.put(event)));
    await producer.close();
    await pipeline.waitForDrain(30_000);
    const direct = await readDeliveredObjects(
      pipeline.clients.s3,
      config.archive.bucketName,
      directRoot,
    );
    const everything = await readDeliveredObjects(pipeline.clients.s3, config.archive.bucketName);

    // Assess
    expect(linesOf(direct).sort()).toEqual(events.map((event) => JSON.stringify(event)).sort());
    expect(everything.map((o) => o.key)).toEqual(direct.map((o) => o.key));
    for (const { key } of direct) {
      expect(key).toMatch(
        new RegExp(
          `^${directRoot}year=\\d{4}/month=\\d{2}/day=\\d{2}/hour=\\d{2}/${config.directPut.deliveryStreamName}-1-`,
        ),
      );
    }
    expect(pipeline.status()).toMatchObject({
      directPutArchivedEvents: 2_000,
      produced: 0,
      archivedEvents: 0,
    });
  });
});
