import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_API_DEFAULTS } from '../defaults.js';

/** Props of {@link PipelineApi}. */
export interface PipelineApiProps {
  /**
   * Name of the API in the console.
   *
   * @default - the construct path
   */
  apiName?: string;
  /**
   * Steady-state requests per second over every route of the stage.
   *
   * @default HTTP_API_DEFAULTS.throttlingRateLimit (200)
   */
  throttlingRateLimit?: number;
  /**
   * Requests the stage accepts in a burst above the steady rate (token bucket size).
   *
   * @default HTTP_API_DEFAULTS.throttlingBurstLimit (400)
   */
  throttlingBurstLimit?: number;
  /**
   * Origins of web pages allowed to call the API from a browser (CORS), for example
   * `['https://shop.example.com']`. Preflight requests are answered by API Gateway
   * without authorization; the requests themselves still need a SigV4 signature.
   *
   * @default - no CORS: only non-browser clients and same-origin pages
   */
  allowOrigins?: string[];
  /**
   * Retention of the access log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  logRetention?: logs.RetentionDays;
  /**
   * What happens to the access log group when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  logRemovalPolicy?: RemovalPolicy;
}

/** Options of {@link PipelineApi.addFunctionRoute}. */
export interface FunctionRouteOptions {
  /**
   * How long API Gateway waits for the function, up to 30 s.
   *
   * @default Duration.seconds(30)
   */
  timeout?: Duration;
}

/** Fields of one access log line; API Gateway fills the `$context` variables. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  // IAM authorization: who signed the request (a Cognito identity pool role session, a user...).
  caller: '$context.identity.caller',
  userArn: '$context.identity.userArn',
  cognitoIdentityId: '$context.identity.cognitoIdentityId',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  requestLength: '$context.dataProcessed',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
} as const;

/**
 * The HTTP API (API Gateway v2) in front of streamfold's functions. Every route
 * requires IAM authorization (SigV4-signed requests; browsers and devices get
 * temporary credentials from a Cognito identity pool or similar). The `$default`
 * stage deploys automatically, throttles every route, and writes one JSON
 * access log line per request to its own log group.
 *
 * API Gateway offers no setting for the request size of HTTP APIs (the payload
 * limit is a fixed 10 MB); each function enforces its own, smaller limit.
 *
 * Routes are added with {@link addFunctionRoute}, so the ingest route and the
 * query routes share one API, one URL and one authorization model.
 */
export class PipelineApi extends Construct {
  /** The API. */
  public readonly httpApi: apigwv2.HttpApi;
  /** The `$default` stage, with throttling and access logging. */
  public readonly stage: apigwv2.HttpStage;
  /** Where the access log lines go. */
  public readonly accessLogGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: PipelineApiProps = {}) {
    super(scope, id);
    const rateLimit = props.throttlingRateLimit ?? HTTP_API_DEFAULTS.throttlingRateLimit;
    const burstLimit = props.throttlingBurstLimit ?? HTTP_API_DEFAULTS.throttlingBurstLimit;
    if (!(rateLimit > 0)) {
      throw new Error(`throttlingRateLimit must be greater than 0 (given ${rateLimit})`);
    }
    if (!(Number.isInteger(burstLimit) && burstLimit >= 1)) {
      throw new Error(
        `throttlingBurstLimit must be an integer of at least 1 (given ${burstLimit})`,
      );
    }
    const allowOrigins = props.allowOrigins ?? [];
    for (const origin of allowOrigins) {
      if (origin === '*' || !/^https?:\/\/[^/]+$/.test(origin)) {
        throw new Error(
          `allowOrigins must list origins such as https://shop.example.com (given "${origin}")`,
        );
      }
    }

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: props.apiName,
      description: 'streamfold: event ingest (and query routes), IAM-authorized',
      defaultAuthorizer: new HttpIamAuthorizer(),
      // The stage is created below, with throttling and access logs the default stage lacks.
      createDefaultStage: false,
      corsPreflight:
        allowOrigins.length === 0
          ? undefined
          : {
              allowOrigins,
              allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST],
              // The headers a SigV4-signing browser client sends.
              allowHeaders: [
                'authorization',
                'content-type',
                'x-amz-date',
                'x-amz-security-token',
                'x-amz-content-sha256',
              ],
            },
    });
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
  }

  /** Base URL of the API, ending with `/`. */
  public get url(): string {
    return this.stage.url;
  }

  /**
   * Routes `method path` to a Lambda function (payload format 2.0), with IAM
   * authorization like every route. API Gateway may invoke the function for this
   * route only.
   *
   * @throws {Error} when the path does not start with `/` or the timeout exceeds 30 s
   */
  public addFunctionRoute(
    method: apigwv2.HttpMethod,
    path: string,
    fn: lambda.IFunction,
    options: FunctionRouteOptions = {},
  ): apigwv2.HttpRoute[] {
    if (!path.startsWith('/')) throw new Error(`route path must start with "/" (given "${path}")`);
    const timeoutS = options.timeout?.toSeconds();
    if (timeoutS !== undefined && !(timeoutS >= 1 && timeoutS <= 30)) {
      throw new Error(`route timeout must be between 1 and 30 seconds (given ${timeoutS})`);
    }
    return this.httpApi.addRoutes({
      path,
      methods: [method],
      integration: new HttpLambdaIntegration(`${method}${path.replaceAll('/', '-')}`, fn, {
        ...(options.timeout ? { timeout: options.timeout } : {}),
      }),
    });
  }

  /**
   * The ARN to allow `execute-api:Invoke` on in a caller's IAM policy, for one
   * route of the stage.
   *
   * @example
   * api.arnForRoute('POST', '/events'); // arn:aws:execute-api:<region>:<account>:<api>/$default/POST/events
   */
  public arnForRoute(method: string, path: string): string {
    return this.httpApi.arnForExecuteApi(method, path, this.stage.stageName);
  }
}
