import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The function environment variable that turns tracing on: Powertools
 * Tracer's own switch. The stack sets it to `true` with `observability.tracing`
 * (and active tracing on the function); anywhere else it is unset.
 */
export const TRACE_ENABLED_VARIABLE = 'POWERTOOLS_TRACE_ENABLED';

/**
 * A Powertools Tracer for `serviceName` when tracing is on, otherwise
 * `undefined`. On means {@link TRACE_ENABLED_VARIABLE} is `true` inside the
 * Lambda runtime (`AWS_EXECUTION_ENV` set, not SAM local): the local runtime,
 * tests and a function deployed without tracing never load the tracer, so
 * nothing tries to send segments to an X-Ray daemon that is not there.
 *
 * The tracer is imported only then: loading it installs the X-Ray SDK's async
 * hooks, which slow every `await` of the process (about 20 times over for a
 * loop of 2 million awaits here) even when the tracer is disabled.
 *
 * @example
 * const tracing = loadTracer(QUERY_SERVICE_NAME).then((tracer) => {
 *   tracer?.captureAWSv3Client(dynamodb);
 *   return tracer;
 * });
 */
export async function loadTracer(
  serviceName: string,
  variables: NodeJS.ProcessEnv = process.env,
): Promise<Tracer | undefined> {
  const inLambda = Boolean(variables.AWS_EXECUTION_ENV) && !variables.AWS_SAM_LOCAL;
  if (!inLambda || variables[TRACE_ENABLED_VARIABLE] !== 'true') return undefined;
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  return new Tracer({ serviceName });
}
