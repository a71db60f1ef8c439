import { describe, expect, it } from 'vitest';
import {
  type InvocationTracer,
  traceInvocation,
} from '../../../functions/observability/traceInvocation.js';

/** A tracer that records what is done to it, over a facade segment as Lambda opens one. */
function recordingTracer() {
  const calls: string[] = [];
  const subsegment = { close: () => calls.push('close') };
  const facade = {
    addNewSubsegment: (name: string) => {
      calls.push(`open ${name}`);
      return subsegment;
    },
  };
  let active: unknown = facade;
  const tracer = {
    getSegment: () => active,
    setSegment: (segment: unknown) => {
      calls.push(segment === facade ? 'activate facade' : 'activate subsegment');
      active = segment;
    },
    annotateColdStart: () => calls.push('annotate ColdStart'),
    addServiceNameAnnotation: () => calls.push('annotate Service'),
    addErrorAsMetadata: (error: Error) => calls.push(`error ${error.message}`),
  } as unknown as InvocationTracer;
  return { tracer, calls, active: () => active, facade };
}

describe('traceInvocation', () => {
  it('runs the work in an annotated subsegment and closes it', async () => {
    // Prepare
    const { tracer, calls, active, facade } = recordingTracer();

    // Act
    const result = await traceInvocation(tracer, 'aggregate', async () => {
      calls.push('work');
      return 42;
    });

    // Assess
    expect(result).toBe(42);
    expect(calls).toEqual([
      'open ## aggregate',
      'activate subsegment',
      'annotate ColdStart',
      'annotate Service',
      'work',
      'close',
      'activate facade',
    ]);
    expect(active()).toBe(facade);
  });

  it('records the error, closes the subsegment and rethrows when the work throws', async () => {
    // Prepare
    const { tracer, calls, active, facade } = recordingTracer();

    // Act
    const run = traceInvocation(tracer, 'ingest', async () => {
      throw new Error('stream unreachable');
    });

    // Assess
    await expect(run).rejects.toThrow('stream unreachable');
    expect(calls.slice(-3)).toEqual(['error stream unreachable', 'close', 'activate facade']);
    expect(active()).toBe(facade);
  });

  it('only runs the work without a tracer (tracing off)', async () => {
    await expect(traceInvocation(undefined, 'query', async () => 'answered')).resolves.toBe(
      'answered',
    );
  });
});
