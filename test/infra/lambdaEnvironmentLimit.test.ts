import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config/errors.js';
import { ingestFunctionEnvironment } from '../../core/config/ingestFunctionEnvironment.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import {
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  lambdaEnvironmentBytes,
  withinLambdaEnvironmentLimit,
} from '../../infra/lambdaEnvironmentLimit.js';

/**
 * Lambda quotas (AWS Lambda Developer Guide, "Lambda quotas"): "Total size of
 * environment variables set | 4 KB". Lambda measures the variables as one JSON
 * object, so a value of 4,096 bytes minus the JSON around it is the largest that fits.
 */
describe('withinLambdaEnvironmentLimit', () => {
  /** `{"V":"…"}` around the value: 8 bytes. */
  const JSON_AROUND_ONE_VARIABLE = '{"V":""}'.length;

  it('returns the environment when its JSON is exactly 4 KB', () => {
    // Prepare
    const environment = {
      V: 'v'.repeat(LAMBDA_ENVIRONMENT_LIMIT_BYTES - JSON_AROUND_ONE_VARIABLE),
    };

    // Act
    const result = withinLambdaEnvironmentLimit('aggregate', environment);

    // Assess
    expect(lambdaEnvironmentBytes(environment)).toBe(4_096);
    expect(result).toBe(environment);
  });

  it('refuses one byte more, naming the function, the size and the largest variable', () => {
    // Prepare
    const environment = {
      V: 'v'.repeat(LAMBDA_ENVIRONMENT_LIMIT_BYTES - JSON_AROUND_ONE_VARIABLE + 1),
      SMALL: 'x',
    };

    // Act
    const act = () => withinLambdaEnvironmentLimit('ingest', environment);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(
      "the ingest function's environment would take 4109 bytes; Lambda allows 4 KB (4096 bytes) for all of a function's environment variables together (largest: V 4097 bytes, SMALL 13 bytes)",
    );
  });

  it('counts a name known only at deploy at 255 bytes, the longest table name', () => {
    // Prepare: a CloudFormation reference, as the stack passes the table's name
    const stack = new Stack(new App(), 'Test');
    const table = new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });

    // Act
    const bytes = lambdaEnvironmentBytes({ TABLE: table.tableName });

    // Assess: {"TABLE":"<255 bytes>"}
    expect(bytes).toBe('{"TABLE":""}'.length + 255);
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(lambdaEnvironmentBytes({ V: 'é' })).toBe('{"V":""}'.length + 2);
  });

  it('refuses an ingest environment that allowed origins push past 4 KB', () => {
    // Prepare: 100 origins of 39 characters each travel in INGEST_SETTINGS
    const allowOrigins = Array.from(
      { length: 100 },
      (_, i) => `https://shop-${String(i).padStart(3, '0')}.example-storefront.com`,
    );
    const environment = ingestFunctionEnvironment(loadConfig({ ingest: { allowOrigins } }), {
      streamName: 'events',
    });

    // Act
    const act = () => withinLambdaEnvironmentLimit('ingest', environment);

    // Assess
    expect(act).toThrow(
      /^Invalid streamfold configuration:\n {2}- the ingest function's environment would take \d+ bytes; Lambda allows 4 KB \(4096 bytes\)/,
    );
    expect(act).toThrow('largest: INGEST_SETTINGS');
  });
});
