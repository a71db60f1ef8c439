import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  importedModules,
  reachableDeclarations,
  strayDeclarationReferences,
} from './packageFiles.js';

describe('strayDeclarationReferences', () => {
  let packageDir: string;

  beforeEach(async () => {
    packageDir = await mkdtemp(join(tmpdir(), 'streamfold-dts-'));
    await mkdir(join(packageDir, 'dist', 'types', 'sdk'), { recursive: true });
    await mkdir(join(packageDir, 'dist', 'types', 'core'), { recursive: true });
    await writeFile(join(packageDir, 'dist', 'types', 'core', 'envelope.d.ts'), 'export {};\n');
  });

  afterEach(async () => {
    await rm(packageDir, { recursive: true, force: true });
  });

  it('accepts files inside the package, peers with subpaths and Node builtins', async () => {
    // Prepare
    await writeFile(
      join(packageDir, 'dist', 'types', 'sdk', 'index.d.ts'),
      [
        "export type { StreamfoldEvent } from '../core/envelope.js';",
        "import { z } from 'zod';",
        "import type { $ZodType } from 'zod/v4/core';",
        "import { EventEmitter } from 'node:events';",
        "export declare const x: import('@aws-sdk/client-kinesis').KinesisClient;",
        '/// <reference types="node" />',
      ].join('\n'),
    );

    // Act
    const stray = await strayDeclarationReferences(packageDir, ['zod', '@aws-sdk/client-kinesis']);

    // Assess
    expect(stray).toEqual([]);
  });

  it('names a path out of the package, a missing file and a package that is not a peer', async () => {
    // Prepare
    await writeFile(
      join(packageDir, 'dist', 'types', 'sdk', 'index.d.ts'),
      [
        "export * from '../../../../core/config/configSchema.js';",
        "export type { Gone } from '../core/gone.js';",
        "import type { Logger } from '@aws-lambda-powertools/logger';",
      ].join('\n'),
    );

    // Act
    const stray = await strayDeclarationReferences(packageDir, ['zod']);

    // Assess
    const file = join('dist', 'types', 'sdk', 'index.d.ts');
    expect(stray).toEqual([
      { file, specifier: '../../../../core/config/configSchema.js', why: 'outside the package' },
      { file, specifier: '../core/gone.js', why: 'no such declaration file' },
      { file, specifier: '@aws-lambda-powertools/logger', why: 'not a peer dependency' },
    ]);
  });
});

describe('reachableDeclarations', () => {
  it('follows relative references from the entry, and only those', async () => {
    // Prepare
    const packageDir = await mkdtemp(join(tmpdir(), 'streamfold-dts-'));
    const write = async (path: string, text: string) => {
      await mkdir(join(packageDir, path, '..'), { recursive: true });
      await writeFile(join(packageDir, path), text);
    };
    await write('types/index.d.ts', "export * from './a.js';\nimport { z } from 'zod';\n");
    await write('types/a.d.ts', "export type { B } from './deep/b.js';\n");
    await write('types/deep/b.d.ts', "export type B = import('../a.js').A;\n");
    await write('types/unused.d.ts', 'export {};\n');

    try {
      // Act
      const reachable = await reachableDeclarations(packageDir, 'types/index.d.ts');

      // Assess
      expect(reachable).toEqual(['types/a.d.ts', 'types/deep/b.d.ts', 'types/index.d.ts']);
    } finally {
      await rm(packageDir, { recursive: true, force: true });
    }
  });
});

describe('importedModules', () => {
  it('lists static, multi-line and dynamic imports once each', () => {
    // Prepare
    const bundle = [
      'import { createHash } from "node:crypto";',
      'import {',
      '  PutRecordsCommand',
      '} from "@aws-sdk/client-kinesis";',
      'import { z } from "zod";',
      'import { z as z2 } from "zod";',
      'const duck = await import("@duckdb/node-api");',
    ].join('\n');

    // Act / Assess
    expect(importedModules(bundle)).toEqual([
      '@aws-sdk/client-kinesis',
      '@duckdb/node-api',
      'node:crypto',
      'zod',
    ]);
  });
});
