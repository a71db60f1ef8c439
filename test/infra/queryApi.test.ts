import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import {
  QUERY_FUNCTION_ENV,
  queryFunctionEnvironment,
} from '../../core/config/queryFunctionEnvironment.js';
import { queryRoutes } from '../../functions/query/queryRoutes.js';
import { QueryFunction } from '../../infra/constructs/QueryFunction.js';
import { QUERY_FUNCTION_DEFAULTS } from '../../infra/defaults.js';
import type { StreamfoldStack } from '../../infra/StreamfoldStack.js';
import { type SynthesizedApp, synthStreamfoldApp } from './synthStreamfoldApp.js';

const config = loadConfig();

function logicalIdOf(stack: Stack, construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.resolve(element.logicalId) as string;
}

const refOf = (stack: Stack, construct: IConstruct) => ({ Ref: logicalIdOf(stack, construct) });
const arnOf = (stack: Stack, construct: IConstruct) => ({
  'Fn::GetAtt': [logicalIdOf(stack, construct), 'Arn'],
});

describe('query API in StreamfoldStack (dev stage)', () => {
  let synthesized: SynthesizedApp;
  let stack: StreamfoldStack;

  beforeAll(() => {
    // Prepare (once per file: synthesis takes seconds)
    synthesized = synthStreamfoldApp({ context: { stage: 'dev' } });
    stack = synthesized.stack;
  });

  afterAll(() => synthesized.cleanUp());

  it.each(queryRoutes.map((route) => [route.method, route.path]))(
    'routes %s %s to the query function with IAM authorization and payload format 2.0',
    (method, path) => {
      const { template } = synthesized;
      const integrations = template.findResources('AWS::ApiGatewayV2::Integration', {
        Properties: {
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: arnOf(stack, stack.queryFunction.handler),
          PayloadFormatVersion: '2.0',
        },
      });
      const routes = template.findResources('AWS::ApiGatewayV2::Route', {
        Properties: { RouteKey: `${method} ${path}`, AuthorizationType: 'AWS_IAM' },
      });
      const [route] = Object.values(routes) as { Properties: { Target: unknown } }[];

      expect(route?.Properties.Target).toEqual({
        'Fn::Join': ['', ['integrations/', { Ref: expect.toBeOneOf(Object.keys(integrations)) }]],
      });
    },
  );

  it('gets exactly the environment queryFunctionEnvironment() builds', () => {
    // Prepare: the deployed table name is a CloudFormation reference
    const expected: Record<string, unknown> = queryFunctionEnvironment(config, {
      tableName: 'placeholder',
    });
    expected[QUERY_FUNCTION_ENV.tableName] = refOf(stack, stack.aggregatesTable.table);

    // Act
    const fn = synthesized.template.toJSON().Resources[
      logicalIdOf(stack, stack.queryFunction.handler)
    ] as { Properties: { Environment: unknown; Timeout: number; MemorySize: number } };

    // Assess
    expect(fn.Properties.Environment).toEqual({ Variables: expected });
    expect(fn.Properties.Timeout).toBe(QUERY_FUNCTION_DEFAULTS.timeout.toSeconds());
    expect(fn.Properties.MemorySize).toBe(QUERY_FUNCTION_DEFAULTS.memorySize);
  });

  it('may only write its logs, Query, GetItem and BatchGetItem the table and Query its byMetric index (no Scan)', () => {
    synthesized.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [refOf(stack, stack.queryFunction.role)],
      PolicyDocument: {
        Statement: [
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: arnOf(stack, stack.queryFunction.logGroup),
          },
          {
            Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
            Effect: 'Allow',
            Resource: arnOf(stack, stack.aggregatesTable.table),
          },
          {
            Action: 'dynamodb:Query',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', [arnOf(stack, stack.aggregatesTable.table), '/index/byMetric']],
            },
          },
        ],
      },
    });
    synthesized.template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'Query function: reads the aggregates table',
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('exports the ARN dashboard policies allow', () => {
    const outputs = synthesized.template.findOutputs('QueryInvokeArn');

    expect(JSON.stringify(outputs.QueryInvokeArn?.Value)).toContain('/$default/GET/api/*');
  });
});

describe('QueryFunction', () => {
  it.each([
    [
      { timeout: Duration.seconds(30) },
      'timeout (s) must be an integer between 1 and 29 (given 30)',
    ],
    [{ memorySize: 64 }, 'memorySize must be an integer between 128 and 10240 (given 64)'],
  ])('throws naming the setting when given %o', (override, message) => {
    const stack = new Stack(new App(), 'Test');
    const table = new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });

    expect(
      () => new QueryFunction(stack, 'Query', { table, environment: {}, ...override }),
    ).toThrow(message);
  });
});
