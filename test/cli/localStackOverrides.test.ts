import { describe, expect, it } from 'vitest';
import { commandConfig } from '../../cli/commandConfig.js';
import { LOCAL_STACK_OPTIONS } from '../../cli/commonOptions.js';
import { UsageError } from '../../cli/errors.js';
import { localStackSettings } from '../../cli/localStackOverrides.js';
import { parseCommandArgs } from '../../cli/parseCommandArgs.js';
import { loadConfig } from '../../core/config/loadConfig.js';

const SPEC = { options: { ...LOCAL_STACK_OPTIONS, config: { type: 'string' } } } as const;
const DECLARED = loadConfig().local;

describe('localStackSettings', () => {
  it('takes a flag over its environment variable, and leaves unset ports alone', () => {
    // Prepare
    const args = parseCommandArgs(['--kinesis-port', '14567', '--host', '0.0.0.0'], SPEC);

    // Act
    const settings = localStackSettings(args, {
      STREAMFOLD_KINESIS_PORT: '24567',
      STREAMFOLD_HTTP_PORT: '24570',
      STREAMFOLD_HOST: '127.0.0.2',
    });

    // Assess
    expect(settings).toEqual({ host: '0.0.0.0', ports: { kinesis: 14567, http: 24570 } });
  });

  it.each([
    [['--s3-port', '0'], {}, '--s3-port must be a port number from 1 to 65535 (given "0")'],
    [['--http-port', '65536'], {}, '--http-port must be a port number from 1 to 65535'],
    [[], { STREAMFOLD_DYNAMODB_PORT: 'abc' }, 'STREAMFOLD_DYNAMODB_PORT must be a port number'],
    [[], { STREAMFOLD_FIREHOSE_PORT: '45.5' }, '(given "45.5")'],
    [['--host', ' '], {}, '--host must not be empty'],
  ])('refuses %j with %j, naming the flag or variable and the value', (argv, env, message) => {
    // Act, Assess
    const args = parseCommandArgs(argv, SPEC);
    expect(() => localStackSettings(args, env)).toThrow(UsageError);
    expect(() => localStackSettings(args, env)).toThrow(message);
  });
});

describe('commandConfig', () => {
  it('overrides local.host and local.ports: flag over environment over the config', async () => {
    // Act
    const config = await commandConfig(['--dynamodb-port', '14568'], SPEC, {
      env: { STREAMFOLD_DYNAMODB_PORT: '24568', STREAMFOLD_S3_PORT: '24569' },
    });

    // Assess
    expect(config.local.ports).toEqual({ ...DECLARED.ports, dynamodb: 14568, s3: 24569 });
    expect(config.local.host).toBe(DECLARED.host);
  });

  it('keeps the config’s host and ports when neither flag nor variable is set', async () => {
    // Act
    const config = await commandConfig([], SPEC, { env: {} });

    // Assess
    expect(config.local.ports).toEqual(DECLARED.ports);
  });
});
