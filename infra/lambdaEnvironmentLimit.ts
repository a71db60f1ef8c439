import { Token } from 'aws-cdk-lib';
import { ConfigError } from '../core/config/errors.js';

/**
 * Lambda's limit on a function's environment variables, all together, bytes:
 * "Total size of environment variables set | 4 KB" (Lambda quotas). Lambda
 * measures the variables as one JSON object (its error quotes the "String
 * measured"), so that is what {@link lambdaEnvironmentBytes} counts.
 */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4 * 1024;

/**
 * What a name known only at deploy (a CloudFormation reference such as the
 * table's or a bucket's name) is counted as, bytes: the longest of those names,
 * a DynamoDB table's 255 characters, so a stack that passes here passes on AWS.
 */
const UNRESOLVED_NAME_BYTES = 255;

/**
 * The size Lambda measures of `environment`: its JSON, in UTF-8 bytes, with
 * every value not known until deploy counted at its longest.
 */
export function lambdaEnvironmentBytes(environment: Readonly<Record<string, string>>): number {
  const measured = Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [
      name,
      Token.isUnresolved(value) ? 'x'.repeat(UNRESOLVED_NAME_BYTES) : value,
    ]),
  );
  return Buffer.byteLength(JSON.stringify(measured), 'utf8');
}

/**
 * Returns `environment` when it fits Lambda's 4 KB limit, so the stack can say
 * at synth what CloudFormation would otherwise refuse at deploy.
 *
 * @param functionName the function, named in the error (`aggregate`, `ingest`, `query`)
 * @throws {ConfigError} naming the function, the size and the largest variables
 * @example
 * environment: withinLambdaEnvironmentLimit('query', queryFunctionEnvironment(config, names)),
 */
export function withinLambdaEnvironmentLimit(
  functionName: string,
  environment: Record<string, string>,
): Record<string, string> {
  const bytes = lambdaEnvironmentBytes(environment);
  if (bytes <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return environment;
  const largest = Object.entries(environment)
    .map(([name, value]) => ({ name, bytes: lambdaEnvironmentBytes({ [name]: value }) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3)
    .map(({ name, bytes: size }) => `${name} ${size} bytes`);
  throw new ConfigError([
    `the ${functionName} function's environment would take ${bytes} bytes; Lambda allows 4 KB (${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes) for all of a function's environment variables together (largest: ${largest.join(', ')})`,
  ]);
}
