import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../cli/errors.js';
import { loadCommandConfig } from '../../cli/loadCommandConfig.js';
import { reportCommandError } from '../../cli/reportCommandError.js';
import { runCli } from '../../cli/runCli.js';
import type { CommandContext } from '../../cli/Subcommand.js';
import { SUBCOMMANDS } from '../../cli/subcommands.js';
import { ConfigError } from '../../core/config/errors.js';

const NAMES = SUBCOMMANDS.map((entry) => entry.name);
/** Arguments each subcommand runs with, before any option. */
const OPERANDS: Record<string, string[]> = { query: ['metrics'], archive: ['queries'] };

/** Runs `streamfold ARGV` in this process, capturing what it writes. */
async function streamfold(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const context: CommandContext = {
    out: { write: (text: string) => (out += text) },
    err: { write: (text: string) => (err += text) },
    env,
    now: () => Date.parse('2026-11-22T12:00:00Z'),
  };
  const code = await runCli(argv, context);
  return { code, out, err };
}

/**
 * A port nothing listens on: below 1024 nothing in the suite binds, so no test running
 * alongside can take it between choosing it and connecting (as it could a `listen(0)` port).
 */
const CLOSED_PORT = 1;

describe('streamfold', () => {
  it('lists every subcommand with --help and prints its version, exit 0', async () => {
    // Act
    const help = await streamfold(['--help']);
    const version = await streamfold(['--version']);

    // Assess
    expect(help.code).toBe(0);
    for (const name of NAMES) expect(help.out).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(version).toEqual({
      code: 0,
      out: expect.stringMatching(/^streamfold \d+\.\d+\.\d+\n$/),
      err: '',
    });
  });

  it('exits 2 with a suggestion for an unknown subcommand, and with the help for none', async () => {
    // Act
    const typo = await streamfold(['qeury', 'revenue']);
    const none = await streamfold([]);

    // Assess
    expect(typo).toEqual({
      code: 2,
      out: '',
      err: 'streamfold: unknown command qeury (did you mean query?)\nRun "streamfold --help" for the commands.\n',
    });
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^Usage: streamfold <command>/);
  });

  it('prints a subcommand’s help for "help <command>"', async () => {
    expect((await streamfold(['help', 'redrive'])).out).toMatch(/^Usage: streamfold redrive/);
  });

  it.each([
    [['--version', 'extra'], 'streamfold: --version takes no argument (given "extra")'],
    [['help', '--version'], 'streamfold: help takes one command name (given "--version")'],
    [['help', 'query', 'extra'], 'streamfold: help takes one command name (given "query extra")'],
  ])('exits 2 for %j instead of ignoring what follows', async (argv, message) => {
    // Act
    const result = await streamfold(argv);

    // Assess
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err.startsWith(message)).toBe(true);
    expect(result.err.split('\n')[1]).toBe('Run "streamfold --help" for the options.');
  });

  it('runs the command after a leading "--", and a command’s help after --help', async () => {
    // Act
    const dashes = await streamfold(['--', 'query', '--help']);
    const help = await streamfold(['--help', 'reconcile']);

    // Assess
    expect(dashes.code).toBe(0);
    expect(dashes.out).toMatch(/^Usage: streamfold query/);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: streamfold reconcile/);
  });

  it('escapes terminal controls in an unknown command, option, metric and value', async () => {
    // Act
    const command = await streamfold(['qu\u001b[31mery']);
    const option = await streamfold(['query', 'revenue', '--x\u001b[31m']);
    const metric = await streamfold(['query', 'rev\u001b[31m']);
    const since = await streamfold(['query', 'revenue', '--since', '\u001b[31m1h']);
    const port = await streamfold(['query', 'metrics', '--kinesis-port', '\u001b]0;x\u0007']);

    // Assess
    for (const result of [command, option, metric, since, port]) {
      expect(result.code).toBe(2);
      const controls = [...result.err].filter((char) => char < ' ' && char !== '\n');
      expect(controls).toEqual([]);
    }
    expect(command.err).toContain('unknown command qu\\u001b[31mery');
    expect(port.err).toContain('(given "\\u001b]0;x\\u0007")');
  });
});

describe.each(NAMES)('streamfold %s', (name) => {
  it('prints its own help on --help and -h, exit 0', async () => {
    // Act
    const long = await streamfold([name, '--help']);
    const short = await streamfold([name, '-h']);

    // Assess
    expect(long.code).toBe(0);
    expect(long.out).toMatch(new RegExp(`^Usage: streamfold ${name}`));
    expect(long.out).toContain('--config FILE');
    expect(long.err).toBe('');
    expect(short.out).toBe(long.out);
  });

  it('exits 2 with one line and a pointer to the help for an unknown option', async () => {
    // Act
    const result = await streamfold([name, '--confg', 'x.ts']);

    // Assess
    expect(result).toEqual({
      code: 2,
      out: '',
      err: `streamfold ${name}: unknown option --confg (did you mean --config?)\nRun "streamfold ${name} --help" for the options.\n`,
    });
  });

  it('exits 2 for a configuration file that cannot be loaded', async () => {
    // Act
    const result = await streamfold([name, ...(OPERANDS[name] ?? []), '--config', 'no-such.ts']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      new RegExp(`^streamfold ${name}: --config: no configuration file at .*no-such\\.ts`),
    );
    expect(result.err).not.toMatch(/\n\s+at /);
  });
});

describe('streamfold start with one port for two services', () => {
  it('exits 2 naming both flags before anything starts', async () => {
    // Act
    const result = await streamfold(['start', '--dynamodb-port', '47965', '--s3-port', '47965']);

    // Assess
    expect(result).toEqual({
      code: 2,
      out: '',
      err: 'streamfold start: --s3-port and --dynamodb-port are both 47965\nRun "streamfold start --help" for the options.\n',
    });
  });
});

describe('streamfold --config', () => {
  it('exits 2 for a directory, saying to give the file', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'streamfold-config-dir-'));

    // Act
    const result = await streamfold(['query', 'metrics', '--config', dir]);

    // Assess
    expect(result).toEqual({
      code: 2,
      out: '',
      err: `streamfold query: --config: ${dir} is a directory; give the configuration file\n`,
    });
  });
});

describe('streamfold arguments a command cannot run with', () => {
  it.each([
    [
      ['reconcile', '--metric', 'cart_value', '--backfill'],
      'streamfold reconcile: unknown metric cart_value (did you mean cart_quantity?)',
    ],
    [
      ['query', 'cart_value'],
      'streamfold query: unknown metric cart_value (did you mean cart_quantity?)',
    ],
    [
      ['query', 'metrcs'],
      'streamfold query: unknown metric metrcs (did you mean streamfold query metrics?)',
    ],
    [
      ['query', 'revenue', '--windw', '1m'],
      'streamfold query: unknown option --windw (did you mean --window?)',
    ],
    [
      ['bench', '--only', 'handlr'],
      'streamfold bench: --only: unknown part handlr (did you mean handler?)',
    ],
    [['bench', '--quik'], 'streamfold bench: unknown option --quik (did you mean --quick?)'],
    [
      ['redrive', '--since', 'yesterday'],
      'streamfold redrive: --since must be a duration back from now',
    ],
    [
      ['load', '--json', 'report.json'],
      'streamfold load: --json prints the report on stdout and takes no file',
    ],
    [['start', '--rate', 'fast'], 'streamfold start: --rate must be a number of events per second'],
    [
      ['archive', 'query', 'SELECT 1', '--format', 'xml'],
      'streamfold archive: --format must be table or csv',
    ],
    [
      ['archive', 'query', '--named', 'revenu'],
      'streamfold archive: --named: no saved query is named "revenu" (saved: distinct-events, events, revenue, cart_quantity, page_views) (did you mean revenue?)',
    ],
    [
      ['load', '--rate', '-1'],
      'streamfold load: --rate must be a number of events per second above 0 (given "-1")',
    ],
    [
      ['start', '--rate', '-1'],
      'streamfold start: --rate must be a number of events per second, 0 or more (given "-1")',
    ],
    [
      ['bench', '--events', '-5'],
      'streamfold bench: --events must be a whole number above 0 (given "-5")',
    ],
    [
      ['start', '--kinesis-port', '-1'],
      'streamfold start: --kinesis-port must be a port number from 1 to 65535 (given "-1")',
    ],
    [
      ['reconcile', '--until', '-1h'],
      'streamfold reconcile: --until must be a duration back from now',
    ],
  ])('exit 2 for %j', async (argv, message) => {
    // Act
    const result = await streamfold(argv);

    // Assess
    expect(result.code).toBe(2);
    const [first, second, ...rest] = result.err.split('\n');
    expect(first?.startsWith(message)).toBe(true);
    expect(second).toBe(`Run "streamfold ${argv[0]} --help" for the options.`);
    expect(rest).toEqual(['']);
  });

  it('exits 2 for a bad port in the environment, naming the variable', async () => {
    // Act
    const result = await streamfold(['query', 'metrics'], { STREAMFOLD_DYNAMODB_PORT: '70000' });

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      /^streamfold query: STREAMFOLD_DYNAMODB_PORT must be a port number from 1 to 65535 \(given "70000"\)\n/,
    );
  });
});

describe('streamfold failures', () => {
  it('exits 1 without a stack trace when the local table cannot be reached', async () => {
    // Prepare: nothing listens on the port
    const port = CLOSED_PORT;

    // Act
    const result = await streamfold(['query', 'revenue', '--dynamodb-port', String(port)]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `streamfold query: connect ECONNREFUSED 127.0.0.1:${port}\n` +
        'Is "streamfold start" running there? --host and --<service>-port (or STREAMFOLD_HOST, STREAMFOLD_<SERVICE>_PORT) choose where to connect.\n',
    );
  });

  it('exits 1 with the same line and hint when the local archive cannot be reached', async () => {
    // Prepare: nothing listens on the port
    const port = CLOSED_PORT;

    // Act
    const result = await streamfold(['archive', 'query', 'SELECT 1', '--s3-port', String(port)]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `streamfold archive: connect ECONNREFUSED 127.0.0.1:${port}\n` +
        'Is "streamfold start" running there? --host and --<service>-port (or STREAMFOLD_HOST, STREAMFOLD_<SERVICE>_PORT) choose where to connect.\n',
    );
  });

  it('answers 0 and prints JSON on stdout with --json', async () => {
    // Act
    const result = await streamfold(['query', 'metrics', '--json']);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out).metrics.map((m: { name: string }) => m.name)).toContain(
      'cart_quantity',
    );
  });
});

describe('reportCommandError', () => {
  const report = (error: unknown, env: Record<string, string> = {}) => {
    let err = '';
    const code = reportCommandError('load', error, {
      err: { write: (t: string) => (err += t) },
      env,
    });
    return { code, err };
  };

  it('shows an unexpected error’s stack trace only with STREAMFOLD_DEBUG=1', () => {
    // Prepare
    const error = new TypeError('x is not a function');

    // Act
    const plain = report(error);
    const debug = report(error, { STREAMFOLD_DEBUG: '1' });

    // Assess
    expect(plain).toEqual({
      code: 1,
      err: 'streamfold load failed: x is not a function\n(an unexpected error: STREAMFOLD_DEBUG=1 shows its stack trace)\n',
    });
    expect(debug.code).toBe(1);
    expect(debug.err).toMatch(
      /^streamfold load failed: x is not a function\nTypeError: x is not a function\n\s+at /,
    );
  });

  it('ends with the exit code a known error carries, and 2 for an invalid configuration', () => {
    expect(report(new CliError('port busy', 1))).toEqual({
      code: 1,
      err: 'streamfold load: port busy\n',
    });
    expect(report(new ConfigError(['stream.shardCount: too big (given 99)'])).code).toBe(2);
  });
});

describe('loadCommandConfig', () => {
  it('loads the file of --config, else of STREAMFOLD_CONFIG', async () => {
    // Prepare: a configuration that changes one setting of the repository's
    const dir = mkdtempSync(join(tmpdir(), 'streamfold-config-'));
    const file = join(dir, 'other.config.ts');
    const repoConfig = new URL('../../streamfold.config.ts', import.meta.url).pathname;
    writeFileSync(
      file,
      `import base from ${JSON.stringify(repoConfig)};\nexport default { ...base, local: { ...base.local, demoRate: 7 } };\n`,
    );

    // Act
    const byFlag = await loadCommandConfig(file, {}, {});
    const byEnvironment = await loadCommandConfig(undefined, {}, { STREAMFOLD_CONFIG: file });
    const flagWins = await loadCommandConfig(file, { local: { demoRate: 9 } }, {});

    // Assess
    expect(byFlag.local.demoRate).toBe(7);
    expect(byEnvironment.local.demoRate).toBe(7);
    expect(flagWins.local.demoRate).toBe(9);
  });
});
