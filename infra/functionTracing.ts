import { Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { TRACE_ENABLED_VARIABLE } from '../functions/observability/loadTracer.js';

/**
 * The function props that follow `observability.tracing`: when on, active
 * X-Ray tracing (CDK then grants the role `xray:PutTraceSegments` and
 * `xray:PutTelemetryRecords`) and `POWERTOOLS_TRACE_ENABLED=true`, on which the
 * handler loads Powertools Tracer. When off, the environment as given and no
 * tracing config: no X-Ray permission, and the handler never loads the tracer
 * (it needs the variable set to `true`).
 *
 * @example
 * new nodejs.NodejsFunction(this, 'Function', { ...functionTracing(props.tracing, props.environment) });
 */
export function functionTracing(
  tracing: boolean | undefined,
  environment: Record<string, string>,
): Pick<lambda.FunctionProps, 'tracing' | 'environment'> {
  if (!tracing) return { environment };
  return {
    environment: { ...environment, [TRACE_ENABLED_VARIABLE]: 'true' },
    tracing: lambda.Tracing.ACTIVE,
  };
}

/** Acknowledges the wildcard of the X-Ray grant {@link functionTracing} brings to `role`. */
export function acknowledgeTracingGrant(role: iam.IRole): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Active tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords on *: trace segments belong to the account, not to a resource, and the AWS managed policy AWSXRayDaemonWriteAccess grants the same actions on Resource * as well.',
  });
}
