import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SUBCOMMANDS } from '../../cli/subcommands.js';

const BIN = fileURLToPath(new URL('../../bin/streamfold.js', import.meta.url));

/** `node bin/streamfold.js ARGV` as a user runs it; resolves with its exit code and output. */
function run(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('node bin/streamfold.js', () => {
  it.each([
    [['strat'], 'streamfold: unknown command strat (did you mean start?)', 'streamfold --help'],
    [
      ['query', '--windw', '1m', 'revenue'],
      'streamfold query: unknown option --windw (did you mean --window?)',
      'streamfold query --help',
    ],
    [
      ['reconcile', '--metric', 'cart_value', '--backfill'],
      'streamfold reconcile: unknown metric cart_value (did you mean cart_quantity?)',
      'streamfold reconcile --help',
    ],
    [
      ['bench', '--only', 'handlr'],
      'streamfold bench: --only: unknown part handlr (did you mean handler?)',
      'streamfold bench --help',
    ],
  ])(
    'exits 2 on %j with one line, a pointer to the help and no stack trace',
    async (argv, line, help) => {
      // Act
      const result = await run(argv);

      // Assess
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `${line}\nRun "${help}" for the ${argv[0] === 'strat' ? 'commands' : 'options'}.\n`,
      );
    },
  );

  it('exits 0 with the help of every subcommand', async () => {
    // Act
    const results = await Promise.all(SUBCOMMANDS.map((entry) => run([entry.name, '--help'])));

    // Assess
    results.forEach((result, i) => {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: streamfold ${SUBCOMMANDS[i]?.name} `));
      expect(result.stderr).toBe('');
    });
  });
});
