import type { ConfigOverrides } from '../core/config/loadConfig.js';
import type { PortOwner } from './errors.js';
import { UsageError } from './errors.js';
import type { ParsedCommandArgs } from './parseCommandArgs.js';

/** A port of the local stack, as `local.ports` names it. */
export type LocalPortName = 'kinesis' | 'dynamodb' | 's3' | 'firehose' | 'http';

/** Every port of the local stack: what listens there and how a user moves it. */
export const LOCAL_PORTS: Readonly<Record<LocalPortName, PortOwner>> = {
  kinesis: {
    service: 'Kinesis emulator',
    flag: '--kinesis-port',
    envVar: 'STREAMFOLD_KINESIS_PORT',
  },
  dynamodb: {
    service: 'DynamoDB emulator',
    flag: '--dynamodb-port',
    envVar: 'STREAMFOLD_DYNAMODB_PORT',
  },
  s3: { service: 'S3 emulator', flag: '--s3-port', envVar: 'STREAMFOLD_S3_PORT' },
  firehose: {
    service: 'Firehose endpoint',
    flag: '--firehose-port',
    envVar: 'STREAMFOLD_FIREHOSE_PORT',
  },
  http: { service: 'HTTP server', flag: '--http-port', envVar: 'STREAMFOLD_HTTP_PORT' },
};

/** The environment variable that sets `local.host`. */
export const HOST_ENV_VAR = 'STREAMFOLD_HOST';

/** Host and ports given on the command line or in the environment; unset ones keep the config's. */
export interface LocalStackSettings {
  host?: string;
  ports: Partial<Record<LocalPortName, number>>;
}

/**
 * Reads `--host` and `--<service>-port` from the command line and
 * `STREAMFOLD_HOST` and `STREAMFOLD_<SERVICE>_PORT` from `env`; a flag wins
 * over its variable, and what neither sets keeps the configuration's value.
 *
 * @throws {UsageError} naming the flag or variable and the value when a port is not 1..65535
 * @example
 * localStackSettings(args, { STREAMFOLD_KINESIS_PORT: '14567' }); // { ports: { kinesis: 14567 } }
 */
export function localStackSettings(
  args: ParsedCommandArgs,
  env: Readonly<Record<string, string | undefined>>,
): LocalStackSettings {
  const settings: LocalStackSettings = { ports: {} };
  const host = pick(args.text('host'), '--host', env[HOST_ENV_VAR], HOST_ENV_VAR);
  if (host !== undefined) {
    if (host.value.trim() === '') throw new UsageError(`${host.source} must not be empty`);
    settings.host = host.value;
  }
  for (const [name, owner] of Object.entries(LOCAL_PORTS) as [LocalPortName, PortOwner][]) {
    const given = pick(args.text(owner.flag.slice(2)), owner.flag, env[owner.envVar], owner.envVar);
    if (given === undefined) continue;
    const port = Number(given.value);
    if (!/^\d+$/.test(given.value.trim()) || port < 1 || port > 65_535) {
      throw new UsageError(
        `${given.source} must be a port number from 1 to 65535 (given "${given.value}")`,
      );
    }
    settings.ports[name] = port;
  }
  return settings;
}

/** The settings as overrides of `local.host` and `local.ports.*`. */
export function localStackOverrides(settings: LocalStackSettings): ConfigOverrides {
  const local: Record<string, unknown> = {};
  if (settings.host !== undefined) local.host = settings.host;
  // Merged deep into the configured ports, so the ports not given keep their values.
  if (Object.keys(settings.ports).length > 0) local.ports = settings.ports;
  return Object.keys(local).length > 0 ? ({ local } as ConfigOverrides) : {};
}

function pick(
  flagValue: string | undefined,
  flag: string,
  envValue: string | undefined,
  envVar: string,
): { value: string; source: string } | undefined {
  if (flagValue !== undefined) return { value: flagValue, source: flag };
  if (envValue !== undefined && envValue !== '') return { value: envValue, source: envVar };
  return undefined;
}
