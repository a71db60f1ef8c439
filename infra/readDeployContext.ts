import type { Node } from 'constructs';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { DeployContextError } from './DeployContextError.js';
import { STAGES, type Stage } from './defaults.js';

type CapacityMode = StreamfoldConfig['stream']['capacityMode'];

const CAPACITY_MODES: readonly CapacityMode[] = ['provisioned', 'on-demand'];

/** Loose check: one `@`, a dot in the domain, no spaces; SNS confirms the rest. */
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** What a deployment chooses on the command line (`-c key=value`). */
export interface DeployContext {
  /** `-c stage=dev|prod`; each stage is its own stack. */
  stage: Stage;
  /** `-c capacityMode=provisioned|on-demand`; overrides `stream.capacityMode`. */
  capacityMode: CapacityMode | undefined;
  /** `-c alarmEmail=ops@example.com`; subscribed to the alarm topic. */
  alarmEmail: string | undefined;
  /** `-c config=FILE`: the configuration file; else `STREAMFOLD_CONFIG`, else `streamfold.config.ts`. */
  configFile: string | undefined;
}

/**
 * Reads and validates the deployment's CDK context.
 *
 * @throws {DeployContextError} naming the context key and the value given
 */
export function readDeployContext(node: Node): DeployContext {
  const stage = readString(node, 'stage') ?? 'dev';
  if (!isOneOf(stage, STAGES)) {
    throw new DeployContextError(
      `context stage must be one of ${STAGES.join(', ')} (given "${stage}")`,
    );
  }
  const capacityMode = readString(node, 'capacityMode');
  if (capacityMode !== undefined && !isOneOf(capacityMode, CAPACITY_MODES)) {
    throw new DeployContextError(
      `context capacityMode must be one of ${CAPACITY_MODES.join(', ')} (given "${capacityMode}")`,
    );
  }
  const alarmEmail = readString(node, 'alarmEmail');
  if (alarmEmail !== undefined && !EMAIL_PATTERN.test(alarmEmail)) {
    throw new DeployContextError(
      `context alarmEmail must be an e-mail address (given "${alarmEmail}")`,
    );
  }
  return { stage, capacityMode, alarmEmail, configFile: readString(node, 'config') };
}

function readString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new DeployContextError(
      `context ${key} must be a string (given ${JSON.stringify(value)})`,
    );
  }
  return value;
}

function isOneOf<T extends string>(value: string, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value);
}
