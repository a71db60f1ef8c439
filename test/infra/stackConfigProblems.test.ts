import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../core/config/errors.js';
import {
  DEFAULT_CONFIG_FILE,
  type DeclaredConfig,
  loadConfig,
  validateDeclaredConfig,
} from '../../core/config/loadConfig.js';
import shipped from '../../streamfold.config.js';
import { synthStreamfoldApp } from './synthStreamfoldApp.js';

const base = shipped as unknown as Record<string, Record<string, unknown>>;

/** The shipped configuration with some settings replaced, as a user's file would give it. */
function declaredWith(changes: Record<string, unknown>): DeclaredConfig {
  return { declared: { ...base, ...changes }, file: DEFAULT_CONFIG_FILE } as DeclaredConfig;
}

/**
 * Configurations that run locally (Firehose accepts these prefixes, the handler these
 * catalogs) but that the stack cannot build its archive table from: `cdk synth` must
 * refuse them in one line naming the setting (a ConfigError, which infra/app.ts prints
 * without a stack trace), before any construct is built.
 */
describe('configurations the stack cannot be built from', () => {
  const archive = (settings: Record<string, string>) => ({
    archive: { ...base.archive, ...settings },
  });
  it.each([
    [
      'a prefix whose first folder holds an expression',
      archive({ prefix: 'events-!{timestamp:yyyy}/!{timestamp:MM}/' }),
      /^archive\.prefix: /,
    ],
    [
      'a prefix starting with an expression',
      archive({ prefix: 'dt=!{timestamp:yyyy-MM-dd}/' }),
      /^archive\.prefix: /,
    ],
    [
      'a partition Athena cannot project (yyyy-MM-dd)',
      archive({ prefix: 'events/dt=!{timestamp:yyyy-MM-dd}/' }),
      /^archive\.prefix: .*only yyyy, MM, dd, HH, mm can be projected/,
    ],
    [
      'unnamed timestamp folders',
      archive({ prefix: 'events/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/' }),
      /^archive\.prefix: /,
    ],
    [
      'an error prefix starting with the error output type',
      archive({ errorOutputPrefix: '!{firehose:error-output-type}/!{timestamp:yyyy}/' }),
      /^archive\.errorOutputPrefix: must start with a static folder apart from the data folder/,
    ],
    [
      'an error prefix inside the data folder',
      archive({
        prefix: 'data/year=!{timestamp:yyyy}/',
        errorOutputPrefix: 'data/errors/!{firehose:error-output-type}/!{timestamp:yyyy}/',
      }),
      /^archive\.errorOutputPrefix: must start with a static folder apart from the data folder "data\/"/,
    ],
    [
      'one field with two types in two event types',
      { catalog: { ...base.catalog, refund: z.object({ country: z.number() }) } },
      /^catalog: .*one type per field/,
    ],
    [
      'a union-typed field',
      {
        catalog: { ...base.catalog, tagged: z.object({ tag: z.union([z.string(), z.number()]) }) },
      },
      /^catalog: .*no archive column type for zod type "union"/,
    ],
  ])('refuses %s at synth, naming the setting', (_label, changes, problem) => {
    // Prepare: valid for the local runtime
    const declared = declaredWith(changes);
    expect(() => validateDeclaredConfig(declared)).not.toThrow();

    // Act
    let thrown: unknown;
    try {
      synthStreamfoldApp({ declared }).cleanUp();
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([expect.stringMatching(problem)]);
  });

  it.each([
    ['rejects.rejectsPrefix', { rejectsPrefix: 'rejects' }],
    ['rejects.onFailurePrefix', { onFailurePrefix: '/aws/lambda/' }],
  ])('refuses %s that is not a folder at load', (setting, rejects) => {
    expect(() => loadConfig({ rejects })).toThrow(new RegExp(`${setting}: must be a folder`));
  });
});
