import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadTracer, TRACE_ENABLED_VARIABLE } from '../../../functions/observability/loadTracer.js';

/** Counts imports of the tracer package: loading it installs the X-Ray SDK's async hooks. */
const tracerPackage = vi.hoisted(() => ({ imports: 0 }));
vi.mock('@aws-lambda-powertools/tracer', async (importOriginal) => {
  tracerPackage.imports++;
  return importOriginal();
});

/**
 * What the Lambda runtime sets in a Node.js 24 function. "AWS_EXECUTION_ENV – The runtime
 * identifier, prefixed by AWS_Lambda_—for example, AWS_Lambda_java8." (Lambda developer
 * guide, defined runtime environment variables)
 */
const IN_LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };

describe('loadTracer', () => {
  afterEach(() => vi.unstubAllEnvs());

  // Ordered: the cases that must not load the package run before the one that does.
  it.each([
    [
      'outside Lambda, even when asked (the local runtime, tests)',
      { [TRACE_ENABLED_VARIABLE]: 'true' },
    ],
    ['in Lambda without the variable (tracing off in the stack)', IN_LAMBDA],
    ['in Lambda with the variable false', { ...IN_LAMBDA, [TRACE_ENABLED_VARIABLE]: 'false' }],
    ['under SAM local', { ...IN_LAMBDA, [TRACE_ENABLED_VARIABLE]: 'true', AWS_SAM_LOCAL: 'true' }],
  ])('gives no tracer and does not load the package %s', async (_case, variables) => {
    // Act
    const tracer = await loadTracer('streamfold-test', variables);

    // Assess
    expect(tracer).toBeUndefined();
    expect(tracerPackage.imports).toBe(0);
  });

  it('loads an enabled tracer for the service in Lambda with the variable true', async () => {
    // Prepare: the tracer reads the same variables itself; no global HTTP patching in a test
    const variables = { ...IN_LAMBDA, [TRACE_ENABLED_VARIABLE]: 'true' };
    for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
    vi.stubEnv('POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS', 'false');

    // Act
    const tracer = await loadTracer('streamfold-test', variables);

    // Assess
    expect(tracerPackage.imports).toBe(1);
    expect(tracer?.isTracingEnabled()).toBe(true);
    // The Service annotation names it.
    expect((tracer as unknown as { serviceName: string }).serviceName).toBe('streamfold-test');
  });
});
