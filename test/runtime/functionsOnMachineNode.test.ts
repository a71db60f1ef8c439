import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

/**
 * `npm test` runs on the Node.js 24 that `npm ci` installs (the `node` dev
 * dependency), the version Lambda runs. The functions must also keep working
 * on the Node.js the machine itself has, which `npm ci` ran on: this test runs
 * their tests again with that binary and with a PATH without
 * `node_modules/.bin`, so nothing they start picks up Node.js 24 instead.
 */
describe("the functions' tests on the machine's own Node.js", () => {
  const machinePath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((folder) => folder !== '' && !folder.includes('node_modules'));
  const machineNode = findExecutable('node', machinePath);

  it('finds a Node.js outside node_modules, other than the one running this suite', () => {
    expect(
      machineNode,
      `no node on PATH outside node_modules (${machinePath.join(delimiter)})`,
    ).toBeDefined();
    expect(realpathSync(machineNode as string)).not.toBe(realpathSync(process.execPath));
  });

  it('passes every test of test/functions there', { timeout: 600_000 }, () => {
    if (machineNode === undefined) throw new Error('no machine Node.js (see the test above)');
    const outputFolder = mkdtempSync(join(tmpdir(), 'streamfold-machine-node-'));
    const report = join(outputFolder, 'vitest.json');
    try {
      const version = spawnSync(machineNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
      const run = spawnSync(
        machineNode,
        [
          join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'),
          'run',
          'test/functions',
          '--maxWorkers=1',
          '--reporter=json',
          `--outputFile.json=${report}`,
        ],
        {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          env: { ...process.env, PATH: machinePath.join(delimiter) },
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      const result = JSON.parse(readFileSync(report, 'utf8')) as {
        numPassedTests: number;
        numFailedTests: number;
        numTotalTests: number;
      };
      console.log(
        `test/functions on ${machineNode} ${version}: ${result.numPassedTests} passed, ${result.numFailedTests} failed`,
      );
      expect({
        exit: run.status,
        failed: result.numFailedTests,
        stderr: run.stderr.slice(-2_000),
      }).toMatchObject({ exit: 0, failed: 0 });
      expect(result.numPassedTests).toBe(result.numTotalTests);
      expect(result.numPassedTests).toBeGreaterThan(100);
    } finally {
      rmSync(outputFolder, { recursive: true, force: true });
    }
  });
});

function findExecutable(name: string, folders: readonly string[]): string | undefined {
  for (const folder of folders) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder: try the next one.
    }
  }
  return undefined;
}
