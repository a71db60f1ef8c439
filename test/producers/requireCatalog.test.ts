import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProducerError } from '../../producers/errors.js';
import { FirehoseProducer } from '../../producers/FirehoseProducer.js';
import { KinesisProducer } from '../../producers/KinesisProducer.js';

/** What a JavaScript caller, with no compiler to stop it, may pass as the catalog. */
const CASES: [string, unknown, string][] = [
  [
    'no catalog',
    undefined,
    'catalog must map event types to zod object schemas, e.g. { signup: z.object({ ... }) } (given undefined)',
  ],
  [
    'an empty catalog',
    {},
    'catalog must map event types to zod object schemas, e.g. { signup: z.object({ ... }) } (given {})',
  ],
  [
    'an entry that is not an object schema',
    { signup: z.string() },
    'catalog.signup must be a zod 4 object schema such as z.object({ ... }) (given a zod string schema)',
  ],
  [
    'an entry that is not a schema',
    { signup: 'plan and seats' },
    'catalog.signup must be a zod 4 object schema such as z.object({ ... }) (given "plan and seats")',
  ],
];

describe('the producers without a usable catalog', () => {
  it.each(CASES)('KinesisProducer refuses %s, naming it', (_name, catalog, message) => {
    const create = () =>
      new KinesisProducer({
        client: new KinesisClient({ region: 'us-east-1' }),
        streamName: 's',
        catalog: catalog as never,
      });

    expect(create).toThrow(ProducerError);
    expect(create).toThrow(message);
  });

  it.each(CASES)('FirehoseProducer refuses %s, naming it', (_name, catalog, message) => {
    const create = () =>
      new FirehoseProducer({
        client: new FirehoseClient({ region: 'us-east-1' }),
        deliveryStreamName: 'd',
        catalog: catalog as never,
      });

    expect(create).toThrow(ProducerError);
    expect(create).toThrow(message);
  });
});
