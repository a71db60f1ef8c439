import type { Tracer } from '@aws-lambda-powertools/tracer';

/** What {@link traceInvocation} uses of a Powertools Tracer. */
export type InvocationTracer = Pick<
  Tracer,
  | 'getSegment'
  | 'setSegment'
  | 'annotateColdStart'
  | 'addServiceNameAnnotation'
  | 'addErrorAsMetadata'
>;

/**
 * Runs one invocation's `work` in a `## name` subsegment of the segment Lambda
 * opened, annotated with `ColdStart` and `Service` and carrying the error if
 * `work` throws: Powertools' manual instrumentation of a handler. Without a
 * tracer (tracing off) it only runs `work`.
 *
 * @example
 * return traceInvocation(await tracing, 'aggregate', () => aggregateKinesisBatch(event, deps));
 */
export async function traceInvocation<T>(
  tracer: InvocationTracer | undefined,
  name: string,
  work: () => Promise<T>,
): Promise<T> {
  if (tracer === undefined) return work();
  const segment = tracer.getSegment();
  const subsegment = segment?.addNewSubsegment(`## ${name}`);
  if (subsegment) tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    return await work();
  } catch (error) {
    tracer.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    subsegment?.close();
    if (segment) tracer.setSegment(segment);
  }
}
