import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INGEST_FUNCTION_ENV,
  ingestFunctionEnvironment,
} from '../../core/config/ingestFunctionEnvironment.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../core/config/loadConfig.js';
import { parseDuration } from '../../core/duration.js';
import { queryRoutes } from '../../functions/query/queryRoutes.js';
import { IngestFunction } from '../../infra/constructs/IngestFunction.js';
import { PipelineApi } from '../../infra/constructs/PipelineApi.js';
import {
  HTTP_API_DEFAULTS,
  INGEST_FUNCTION_DEFAULTS,
  STAGE_DEFAULTS,
} from '../../infra/defaults.js';
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

describe('HTTP ingest in StreamfoldStack (dev stage)', () => {
  let synthesized: SynthesizedApp;
  let template: Template;
  let stack: StreamfoldStack;

  beforeAll(() => {
    // Prepare (once per file: synthesis takes seconds)
    synthesized = synthStreamfoldApp({ context: { stage: 'dev' } });
    template = synthesized.template;
    stack = synthesized.stack;
  });

  afterAll(() => synthesized.cleanUp());

  describe('PipelineApi', () => {
    it('creates one HTTP API named after the stage', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        Name: 'streamfold-dev',
        ProtocolType: 'HTTP',
        CorsConfiguration: Match.absent(),
      });
    });

    it('deploys the $default stage automatically, throttled, with JSON access logs', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        ApiId: refOf(stack, stack.api.httpApi),
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: HTTP_API_DEFAULTS.throttlingRateLimit,
          ThrottlingBurstLimit: HTTP_API_DEFAULTS.throttlingBurstLimit,
        },
        AccessLogSettings: {
          DestinationArn: arnOf(stack, stack.api.accessLogGroup),
          Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
        },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        RetentionInDays: STAGE_DEFAULTS.dev.logRetention,
      });
    });

    it('writes access log lines that are JSON objects naming the signer and the outcome', () => {
      const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as {
        Properties: { AccessLogSettings: { Format: string } };
      };

      const fields = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<
        string,
        string
      >;

      expect(fields).toMatchObject({
        requestId: '$context.requestId',
        userArn: '$context.identity.userArn',
        status: '$context.status',
        integrationError: '$context.integrationErrorMessage',
      });
    });

    it('requires IAM authorization on every route', () => {
      // The ingest route and the query routes.
      template.resourceCountIs('AWS::ApiGatewayV2::Route', 1 + queryRoutes.length);
      template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'AWS_IAM' });
    });
  });

  describe('ingest route and function', () => {
    it(`routes POST ${config.ingest.path} to the ingest function with payload format 2.0`, () => {
      const integrations = template.findResources('AWS::ApiGatewayV2::Integration', {
        Properties: {
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: arnOf(stack, stack.ingestFunction.handler),
          PayloadFormatVersion: '2.0',
        },
      });
      const [integrationId] = Object.keys(integrations);

      expect(integrationId).toBeDefined();
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `POST ${config.ingest.path}`,
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
      });
    });

    it('lets API Gateway invoke the function for that path only', () => {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(stack, stack.ingestFunction.handler),
        Principal: 'apigateway.amazonaws.com',
        SourceArn: {
          'Fn::Join': [
            '',
            Match.arrayWith([refOf(stack, stack.api.httpApi), `/*/*${config.ingest.path}`]),
          ],
        },
      });
    });

    it('runs on arm64 Node.js 24, timing out 5 s after the acknowledge timeout', () => {
      const acknowledgeS = (parseDuration(config.ingest.acknowledgeTimeout) ?? Number.NaN) / 1_000;
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: INGEST_FUNCTION_DEFAULTS.memorySize,
        Timeout: acknowledgeS + INGEST_FUNCTION_DEFAULTS.timeoutBeyondAcknowledge.toSeconds(),
        Role: arnOf(stack, stack.ingestFunction.role),
        LoggingConfig: Match.objectLike({
          LogFormat: 'JSON',
          LogGroup: refOf(stack, stack.ingestFunction.logGroup),
        }),
      });
    });

    it('gets exactly the environment ingestFunctionEnvironment() builds', () => {
      // Prepare: the deployed stream name is a CloudFormation reference
      const expected: Record<string, unknown> = ingestFunctionEnvironment(config, {
        streamName: 'placeholder',
      });
      expected[INGEST_FUNCTION_ENV.streamName] = refOf(stack, stack.eventStream.stream);

      // Act
      const fn = template.toJSON().Resources[logicalIdOf(stack, stack.ingestFunction.handler)] as {
        Properties: { Environment: unknown };
      };

      // Assess
      expect(fn.Properties.Environment).toEqual({ Variables: expected });
    });

    it('may only write its logs, PutRecords to the stream and GenerateDataKey with its key', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [refOf(stack, stack.ingestFunction.role)],
        PolicyDocument: {
          Statement: [
            {
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Effect: 'Allow',
              Resource: arnOf(stack, stack.ingestFunction.logGroup),
            },
            {
              Action: 'kinesis:PutRecords',
              Effect: 'Allow',
              Resource: arnOf(stack, stack.eventStream.stream),
            },
            {
              Action: 'kms:GenerateDataKey',
              Effect: 'Allow',
              Resource: arnOf(stack, stack.eventStream.encryptionKey),
            },
          ],
        },
      });
      template.hasResourceProperties('AWS::IAM::Role', {
        Description: 'Ingest function: puts accepted events into the stream',
        ManagedPolicyArns: Match.absent(),
      });
    });

    it('exports the ingest URL and the ARN producer policies allow', () => {
      const outputs = template.findOutputs('*');

      expect(Object.keys(outputs)).toEqual(
        expect.arrayContaining([
          'HttpApiUrl',
          'IngestUrl',
          'IngestInvokeArn',
          'HttpApiAccessLogGroup',
        ]),
      );
      expect(JSON.stringify(outputs.IngestInvokeArn?.Value)).toContain(
        `/$default/POST${config.ingest.path}`,
      );
      expect(JSON.stringify(outputs.IngestUrl?.Value)).toContain(
        `/${config.ingest.path.slice(1)}"`,
      );
    });
  });
});

/** A stack with a stream, nothing synthesized. */
function fixture() {
  const stack = new Stack(new App(), 'Test');
  return { stack, stream: new kinesis.Stream(stack, 'Stream') };
}

describe('PipelineApi', () => {
  it('answers CORS preflights for the given origins with the SigV4 headers', () => {
    const { stack } = fixture();

    new PipelineApi(stack, 'Api', { allowOrigins: ['https://shop.example.com'] });

    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://shop.example.com'],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: Match.arrayWith(['authorization', 'x-amz-date', 'x-amz-security-token']),
      },
    });
  });

  it.each([
    [{ throttlingRateLimit: 0 }, 'throttlingRateLimit must be greater than 0 (given 0)'],
    [
      { throttlingBurstLimit: 1.5 },
      'throttlingBurstLimit must be an integer of at least 1 (given 1.5)',
    ],
    [
      { allowOrigins: ['*'] },
      'allowOrigins must list origins such as https://shop.example.com (given "*")',
    ],
  ])('throws naming the setting when given %o', (props, message) => {
    const { stack } = fixture();

    expect(() => new PipelineApi(stack, 'Api', props)).toThrow(message);
  });

  it.each([
    ['events', {}, 'route path must start with "/" (given "events")'],
    [
      '/events',
      { timeout: Duration.seconds(31) },
      'route timeout must be between 1 and 30 seconds (given 31)',
    ],
  ])('throws when adding route %s with %o', (path, options, message) => {
    const { stack } = fixture();
    const api = new PipelineApi(stack, 'Api');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => ({});'),
    });

    expect(() => api.addFunctionRoute(apigwv2.HttpMethod.POST, path, fn, options)).toThrow(message);
  });
});

describe('IngestFunction', () => {
  it.each([
    [
      { timeout: Duration.seconds(30) },
      'timeout (s) must be an integer between 1 and 29 (given 30)',
    ],
    [{ memorySize: 64 }, 'memorySize must be an integer between 128 and 10240 (given 64)'],
  ])('throws naming the setting when given %o', (override, message) => {
    const { stack, stream } = fixture();

    expect(
      () =>
        new IngestFunction(stack, 'Ingest', {
          stream,
          environment: {},
          configFile: DEFAULT_CONFIG_FILE,
          ...override,
        }),
    ).toThrow(message);
  });
});
