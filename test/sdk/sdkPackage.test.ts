import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { loadConfigFile } from '../../core/config/loadConfig.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { readAggregates } from '../local/readAggregates.js';
import { type ConsumerApp, MISSPELLED_FIELD, writeConsumerApp } from './consumerApp.js';
import {
  directoryBytes,
  importedModules,
  reachableDeclarations,
  strayDeclarationReferences,
} from './packageFiles.js';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
/** Signups and logins the app puts, each. */
const EVENTS_PER_TYPE = 200;
const PEERS = ['@aws-sdk/client-kinesis', '@aws-sdk/client-firehose', 'zod'] as const;
/** What a producer's install must never bring: the local runtime, its tooling and the stack's. */
const NOT_INSTALLED = [
  '@duckdb/node-api',
  'duckdb',
  'tsx',
  'aws-cdk-lib',
  'aws-cdk',
  'kinesalite',
  'dynalite',
  's3rver',
  'esbuild',
  'typescript',
  'uplot',
];
const NOT_INSTALLED_SCOPES = ['@aws-lambda-powertools/', '@duckdb/'];

/** What `npm pack --json` says about one tarball. */
interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/** The version of `name` this repository's lockfile installs. */
async function lockedVersion(name: string): Promise<string> {
  const lock = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

/** Runs a command; resolves with its output and exit code instead of throwing on failure. */
async function runCommand(
  file: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

describe('@streamfold/sdk, packed and installed into an app outside the repository', () => {
  let workDir: string;
  let pack: PackReport;
  let app: ConsumerApp;
  let packageDir: string;
  let installedPackages: string[];
  /** The app compiled with the repository's tsc, as its build would. */
  let compiled: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    // Prepare: pack (prepack builds afresh), then install as a user would, from the tarball.
    workDir = await mkdtemp(join(tmpdir(), 'streamfold-sdk-'));
    const packed = await runCommand(
      'npm',
      ['pack', './sdk', '--pack-destination', workDir, '--json'],
      REPO_ROOT,
    );
    if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
    [pack] = JSON.parse(packed.stdout) as [PackReport];
    app = await writeConsumerApp(join(workDir, 'app'), join(workDir, pack.filename), {
      kinesisClient: await lockedVersion('@aws-sdk/client-kinesis'),
      firehoseClient: await lockedVersion('@aws-sdk/client-firehose'),
      zod: await lockedVersion('zod'),
      nodeHttpHandler: await lockedVersion('@smithy/node-http-handler'),
      typesNode: await lockedVersion('@types/node'),
    });
    const installed = await runCommand(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund'],
      app.dir,
    );
    if (installed.code !== 0) throw new Error(`npm install failed:\n${installed.stderr}`);
    packageDir = join(app.dir, 'node_modules', '@streamfold', 'sdk');
    const lock = JSON.parse(
      await readFile(join(app.dir, 'node_modules', '.package-lock.json'), 'utf8'),
    ) as { packages: Record<string, unknown> };
    installedPackages = Object.keys(lock.packages).map((path) =>
      path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length),
    );
    compiled = await runCommand(TSC, ['-p', app.tsconfig], app.dir);
  }, 240_000);

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('packs the built JavaScript, the declarations, the README and nothing else', () => {
    // Assess
    const paths = pack.files.map((file) => file.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/types/sdk/index.d.ts');
    expect(paths).toContain('README.md');
    expect(paths.filter((path) => !/^dist\/.+\.(js|d\.ts)$/.test(path)).sort()).toEqual([
      'README.md',
      'package.json',
    ]);
  });

  it('declares an ESM entry with its types, Node 22 and up, no side effects and only peers', async () => {
    // Assess
    const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      type: 'module',
      sideEffects: false,
      engines: { node: '>=22' },
      license: 'Apache-2.0',
      // `default` too: Node.js 22.12 and later load the ES module for `require()` as well.
      exports: {
        '.': {
          types: './dist/types/sdk/index.d.ts',
          import: './dist/index.js',
          default: './dist/index.js',
        },
      },
    });
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual([...PEERS].sort());
    expect(manifest.dependencies).toBeUndefined();
  });

  it('bundles its own code and imports nothing but its peers and Node builtins', async () => {
    // Assess
    const bundle = await readFile(join(packageDir, 'dist', 'index.js'), 'utf8');
    const foreign = importedModules(bundle).filter(
      (name) => !name.startsWith('node:') && !(PEERS as readonly string[]).includes(name),
    );
    expect(foreign).toEqual([]);
    expect(importedModules(bundle)).toEqual(expect.arrayContaining([...PEERS]));
  });

  it('ships declarations that reference only files inside the package, its peers and Node', async () => {
    // Assess
    expect(await strayDeclarationReferences(packageDir, PEERS)).toEqual([]);
  });

  it("gives a user's compiler the producers' types without the configuration schema", async () => {
    // Act
    const reachable = await reachableDeclarations(packageDir, 'dist/types/sdk/index.d.ts');

    // Assess
    expect(reachable).toContain('dist/types/producers/KinesisProducer.d.ts');
    expect(reachable.filter((file) => file.startsWith('dist/types/core/config/'))).toEqual([]);
  });

  it('installs without the local runtime, DuckDB, tsx, the CDK or Powertools', async () => {
    // Assess
    const unwanted = installedPackages.filter(
      (name) =>
        NOT_INSTALLED.includes(name) ||
        NOT_INSTALLED_SCOPES.some((scope) => name.startsWith(scope)),
    );
    expect(unwanted).toEqual([]);
    for (const peer of PEERS) expect(installedPackages).toContain(peer);

    const modulesBytes = await directoryBytes(join(app.dir, 'node_modules'));
    const typesNodeBytes = await directoryBytes(join(app.dir, 'node_modules', '@types', 'node'));
    console.log(
      [
        `@streamfold/sdk ${pack.unpackedSize} bytes unpacked (${pack.size} bytes packed)`,
        `app node_modules with the peers: ${mib(modulesBytes)} (${modulesBytes} bytes, ` +
          `${installedPackages.length - 1} packages), of which @types/node ${mib(typesNodeBytes)}`,
      ].join('\n'),
    );
    // A producer library, not a runtime: well under the 68 MB DuckDB alone takes.
    expect(pack.unpackedSize).toBeLessThan(1024 * 1024);
  });

  it('loads for a CommonJS require() as well as an import', async () => {
    // Act
    const required = await runCommand(
      process.execPath,
      ['-e', "console.log(typeof require('@streamfold/sdk').KinesisProducer)"],
      app.dir,
    );

    // Assess
    expect(required.stderr).toBe('');
    expect(required.stdout.trim()).toBe('function');
  });

  it('type-checks and compiles an app that declares its own catalog', () => {
    // Assess
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.code).toBe(0);
  });

  it('refuses to compile a put() with a field the catalog does not declare, naming the field', async () => {
    // Act
    const compiled = await runCommand(TSC, ['-p', app.badTsconfig], app.dir);

    // Assess
    expect(compiled.code).not.toBe(0);
    const errors = compiled.stdout.split('\n').filter((line) => line.includes('error TS'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('src/badPut.ts');
    expect(errors[0]).toContain(`'${MISSPELLED_FIELD}'`);
  });

  describe("run with plain node against a local stack that loads the app's configuration", () => {
    let config: StreamfoldConfig;
    let pipeline: LocalPipeline;

    beforeAll(async () => {
      // Prepare: the stack loads the app's compiled configuration, which carries its catalog.
      if (compiled.code !== 0) throw new Error(`the app does not compile:\n${compiled.stdout}`);
      ({ config } = await loadConfigFile(app.config, { local: { demoRate: 0 } }));
      pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0 });
    }, 120_000);

    afterAll(async () => {
      await pipeline?.stop();
    });

    it("aggregates every event the app put, by the app's own metrics", async () => {
      // Act
      const ran = await runCommand(
        process.execPath,
        [
          app.main,
          pipeline.endpoints.kinesis,
          config.stream.name,
          config.local.region,
          String(EVENTS_PER_TYPE),
        ],
        app.dir,
      );
      await pipeline.waitForDrain(60_000);
      const stored = await readAggregates(pipeline.clients.dynamodb, config.table.name);

      // Assess
      expect(ran.stderr).not.toMatch(/Error/);
      expect(ran.code).toBe(0);
      expect(JSON.parse(ran.stdout.trim().split('\n').at(-1) as string)).toEqual({
        acknowledged: 2 * EVENTS_PER_TYPE,
        refusedField: 'data.plan',
      });
      // Summed over day buckets, so a run across midnight UTC reads the same.
      const totals = new Map<string, { count: number; sum: number }>();
      for (const [key, figures] of stored) {
        const [partitionKey, sortKey] = key.split('|') as [string, string];
        expect(sortKey).toMatch(/^1d#/);
        const total = totals.get(partitionKey) ?? { count: 0, sum: 0 };
        total.count += figures.count;
        total.sum += Number(figures.sum ?? 0);
        totals.set(partitionKey, total);
      }
      const indexes = Array.from({ length: EVENTS_PER_TYPE }, (_, i) => i);
      const pro = indexes.filter((i) => i % 3 === 0).length;
      const sumOf = (keep: (i: number) => boolean) =>
        indexes.filter(keep).reduce((sum, i) => sum + i, 0);
      expect(Object.fromEntries(totals)).toEqual({
        'signups#plan=pro': { count: pro, sum: 0 },
        'signups#plan=free': { count: EVENTS_PER_TYPE - pro, sum: 0 },
        'login_time#method=sso': { count: EVENTS_PER_TYPE / 2, sum: sumOf((i) => i % 2 === 0) },
        'login_time#method=password': {
          count: EVENTS_PER_TYPE / 2,
          sum: sumOf((i) => i % 2 === 1),
        },
      });
      expect(pipeline.status().rejected).toBe(0);
    });
  });
});
