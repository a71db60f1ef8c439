import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The event catalog of the consumer app: an accounts service, nothing like the web-shop
 * example, so the package is proven to carry no catalog of its own.
 */
const CATALOG_SOURCE = `import { type CatalogEvent, defineCatalog } from '@streamfold/sdk';
import { z } from 'zod';

/** The accounts service's events. */
export const accountsCatalog = defineCatalog({
  signup: z.object({
    plan: z.enum(['free', 'pro']),
    referrer: z.string().max(64).optional(),
  }),
  login: z.object({
    method: z.enum(['password', 'sso']),
    durationMs: z.number().int().min(0).max(60_000),
  }),
});

/** Any event of the accounts catalog. */
export type AccountEvent = CatalogEvent<typeof accountsCatalog>;
`;

/**
 * Puts `count` signups and `count` logins through a KinesisProducer, then one event the
 * catalog refuses, and prints what happened as one JSON line.
 * Arguments: Kinesis endpoint, stream name, region, count.
 */
const MAIN_SOURCE = `import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { InvalidEventError, KinesisProducer } from '@streamfold/sdk';
import { type AccountEvent, accountsCatalog } from './catalog.js';

const [endpoint, streamName, region, countText] = process.argv.slice(2);
if (!endpoint || !streamName || !region || !countText) {
  throw new Error('usage: node dist/main.js <kinesis endpoint> <stream> <region> <count>');
}
const count = Number(countText);

const client = new KinesisClient({
  endpoint,
  region,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  // kinesalite does not speak HTTP/2, the client's default.
  requestHandler: new NodeHttpHandler(),
});
const producer = new KinesisProducer({ client, streamName, catalog: accountsCatalog });

const time = new Date().toISOString();
const events: AccountEvent[] = [];
for (let i = 0; i < count; i++) {
  events.push({
    id: \`signup-\${i}\`,
    type: 'signup',
    time,
    source: 'accounts',
    data: { plan: i % 3 === 0 ? 'pro' : 'free' },
  });
  events.push({
    id: \`login-\${i}\`,
    type: 'login',
    time,
    source: 'accounts',
    data: { method: i % 2 === 0 ? 'sso' : 'password', durationMs: i },
  });
}
await Promise.all(events.map((event) => producer.put(event, { partitionKey: event.id })));

// A value the compiler cannot see (it arrives as JSON): the catalog refuses it at run time.
const untrusted = JSON.parse('{"id":"signup-bad","type":"signup","time":"' + time +
  '","source":"accounts","data":{"plan":"gold"}}') as AccountEvent;
let refusedField: string | undefined;
try {
  await producer.put(untrusted);
} catch (error) {
  if (!(error instanceof InvalidEventError)) throw error;
  refusedField = error.reason.field;
}

await producer.close();
client.destroy();
console.log(JSON.stringify({ acknowledged: producer.stats.eventsAcknowledged, refusedField }));
`;

/**
 * The accounts service's streamfold configuration, beside its code: the local stack loads it
 * with `loadConfigFile`, so the aggregate handler validates with the very catalog the
 * producer was typed by.
 */
const CONFIG_SOURCE = `import { accountsCatalog } from './catalog.js';

export default {
  catalog: accountsCatalog,
  windows: { '1d': {} },
  metrics: [
    { name: 'signups', on: 'signup', groupBy: ['data.plan'], stats: ['count'], windows: ['1d'] },
    {
      name: 'login_time',
      on: 'login',
      value: 'data.durationMs',
      groupBy: ['data.method'],
      stats: ['count', 'sum', 'max'],
      windows: ['1d'],
    },
  ],
};
`;

/** A put() with a field the catalog does not declare: must not compile. */
export const MISSPELLED_FIELD = 'refferer';
const BAD_PUT_SOURCE = `import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisProducer } from '@streamfold/sdk';
import { accountsCatalog } from './catalog.js';

const producer = new KinesisProducer({
  client: new KinesisClient({}),
  streamName: 'accounts',
  catalog: accountsCatalog,
});
await producer.put({
  id: 'signup-1',
  type: 'signup',
  time: new Date().toISOString(),
  source: 'accounts',
  data: { plan: 'pro', ${MISSPELLED_FIELD}: 'newsletter' },
});
`;

/** Versions the app pins, read from the repository's lockfile. */
export interface ConsumerAppVersions {
  kinesisClient: string;
  firehoseClient: string;
  zod: string;
  nodeHttpHandler: string;
  typesNode: string;
}

/** Where {@link writeConsumerApp} put things. */
export interface ConsumerApp {
  dir: string;
  /** tsconfig of the app proper (catalog and main). */
  tsconfig: string;
  /** tsconfig that adds the ill-typed put(). */
  badTsconfig: string;
  /** The compiled entry point. */
  main: string;
  /** The compiled streamfold configuration (default export). */
  config: string;
}

/**
 * Writes a small TypeScript app that depends on the packed SDK tarball and on the peers at
 * `versions`, as a user outside this repository would set one up.
 */
export async function writeConsumerApp(
  dir: string,
  tarball: string,
  versions: ConsumerAppVersions,
): Promise<ConsumerApp> {
  await mkdir(join(dir, 'src'), { recursive: true });
  const packageJson = {
    name: 'accounts-app',
    private: true,
    type: 'module',
    dependencies: {
      '@streamfold/sdk': `file:${tarball}`,
      '@aws-sdk/client-kinesis': versions.kinesisClient,
      '@aws-sdk/client-firehose': versions.firehoseClient,
      '@smithy/node-http-handler': versions.nodeHttpHandler,
      zod: versions.zod,
    },
    devDependencies: { '@types/node': versions.typesNode },
  };
  const compilerOptions = {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    // The package's declarations are checked too, as a user's strictest setting would.
    skipLibCheck: false,
    rootDir: 'src',
    outDir: 'dist',
  };
  await writeFile(join(dir, 'package.json'), JSON.stringify(packageJson, null, 2));
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      { compilerOptions, include: ['src/catalog.ts', 'src/main.ts', 'src/streamfold.config.ts'] },
      null,
      2,
    ),
  );
  await writeFile(
    join(dir, 'tsconfig.bad.json'),
    JSON.stringify(
      { compilerOptions: { ...compilerOptions, noEmit: true }, include: ['src/*.ts'] },
      null,
      2,
    ),
  );
  await writeFile(join(dir, 'src', 'catalog.ts'), CATALOG_SOURCE);
  await writeFile(join(dir, 'src', 'main.ts'), MAIN_SOURCE);
  await writeFile(join(dir, 'src', 'streamfold.config.ts'), CONFIG_SOURCE);
  await writeFile(join(dir, 'src', 'badPut.ts'), BAD_PUT_SOURCE);
  return {
    dir,
    tsconfig: join(dir, 'tsconfig.json'),
    badTsconfig: join(dir, 'tsconfig.bad.json'),
    main: join(dir, 'dist', 'main.js'),
    config: join(dir, 'dist', 'streamfold.config.js'),
  };
}
