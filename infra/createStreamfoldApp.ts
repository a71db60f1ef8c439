import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../core/config/errors.js';
import {
  DEFAULT_DECLARED_CONFIG,
  type DeclaredConfig,
  validateDeclaredConfig,
} from '../core/config/loadConfig.js';
import { PROJECT_NAME } from './defaults.js';
import { readDeployContext } from './readDeployContext.js';
import { resourceNames, StreamfoldStack } from './StreamfoldStack.js';
import { stackConfigProblems } from './stackConfigProblems.js';

/**
 * Adds the streamfold stack for the stage chosen in the context
 * (`-c stage=dev|prod`, `-c capacityMode=...`, `-c alarmEmail=...`) to `app`,
 * built from the configuration `declared` (imported by `importConfigFile`;
 * the shipped `streamfold.config.ts` by default),
 * and registers cdk-nag's AwsSolutions checks, so synthesis fails on any
 * finding that is not acknowledged with its reason.
 *
 * @throws {ConfigError} for a configuration the stack cannot be built from
 * @throws {DeployContextError} for invalid context values
 */
export function createStreamfoldApp(
  app: App,
  declared: DeclaredConfig = DEFAULT_DECLARED_CONFIG,
): StreamfoldStack {
  const context = readDeployContext(app.node);
  const config = validateDeclaredConfig(
    declared,
    context.capacityMode === undefined ? {} : { stream: { capacityMode: context.capacityMode } },
  );
  const stackProblems = stackConfigProblems(config);
  if (stackProblems.length > 0) throw new ConfigError(stackProblems);
  const stack = new StreamfoldStack(app, resourceNames(config, context.stage).stack, {
    config,
    stage: context.stage,
    alarmEmail: context.alarmEmail,
    description: `streamfold (${context.stage}): Kinesis, Lambda aggregates in DynamoDB, Firehose archive, Athena`,
    // The account and region the CLI's credentials point at; none when synthesizing offline.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    tags: { project: PROJECT_NAME, stage: context.stage },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
