import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/streamfold.js', import.meta.url));

/** A Node.js older than 24 on the machine's PATH (not the one npm installs), if there is one. */
function olderNode(): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder.includes('node_modules')) continue;
    const candidate = join(folder, 'node');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    const version = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (Number(version.stdout.split('.')[0]) < 24) return candidate;
  }
  return undefined;
}

/**
 * The AWS SDK prints an eight-line notice on Node.js below 22, once per copy of
 * `@aws-sdk/core` in each process and thread. A command must say it at most once.
 */
describe('the Node.js version notice', () => {
  const node = olderNode();

  it.skipIf(node === undefined)(
    'is one line of streamfold on an older Node.js, and the AWS SDK adds none',
    () => {
      // Act: a command that builds DynamoDB, S3 and Kinesis clients and fails fast (nothing listens)
      const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...environment } = process.env;
      const result = spawnSync(
        node as string,
        [BIN, 'redrive', '--dry-run', '--since', '1h', '--s3-port', '9', '--dynamodb-port', '9'],
        { encoding: 'utf8', env: environment, timeout: 60_000 },
      );

      // Assess
      const notices = result.stderr.split('\n').filter((line) => line.includes('Node.js v'));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/^streamfold: running on Node\.js v\d+\.\d+\.\d+; /);
      expect(result.stderr).not.toContain('NodeVersionSupportWarning');
      expect(result.status).toBe(1);
    },
  );

  it('is not printed on the Node.js 24 npm installs', () => {
    // Act
    const result = spawnSync(process.execPath, [BIN, 'query', '--help'], { encoding: 'utf8' });

    // Assess
    expect(process.versions.node.split('.')[0]).toBe('24');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
