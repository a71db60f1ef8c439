import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './synthStreamfoldApp.js';

/**
 * "New projects should use the recommended values of feature flags"
 * (https://docs.aws.amazon.com/cdk/v2/guide/featureflags.html); aws-cdk-lib ships
 * them in `recommended-feature-flags.json`, which `cdk init` copies into cdk.json.
 * Every template test synthesizes with cdk.json's context, so they check the
 * stack under these flags.
 */
describe('cdk.json feature flags', () => {
  const recommended = createRequire(import.meta.url)(
    'aws-cdk-lib/recommended-feature-flags.json',
  ) as Record<string, unknown>;
  const context = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
      context: Record<string, unknown>;
    }
  ).context;

  it('sets every flag aws-cdk-lib recommends, to its recommended value', () => {
    expect(Object.keys(recommended).length).toBeGreaterThan(80);
    for (const [flag, value] of Object.entries(recommended)) {
      expect({ flag, value: context[flag] }).toEqual({ flag, value });
    }
  });
});
