import { type MockInstance, vi } from 'vitest';

/** One CloudWatch embedded metric format (EMF) object, as Powertools Metrics writes it. */
export interface EmfBlob {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  [key: string]: unknown;
}

/** The EMF objects written to stdout while capturing, and the way to stop. */
export interface EmfCapture {
  /** Every EMF object written so far, in order. */
  blobs(): EmfBlob[];
  /** The blobs naming metric `name`, in order. */
  withMetric(name: string): EmfBlob[];
  restore(): void;
}

/**
 * Captures what Powertools Metrics publishes: it writes each EMF object as one
 * JSON line to stdout (through its own `Console` on `process.stdout`), which
 * is what Lambda forwards to CloudWatch Logs. Other output passes through.
 */
export function captureEmf(): EmfCapture {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy: MockInstance = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
      if (text.includes('"_aws"')) {
        lines.push(...text.split('\n').filter((line) => line.includes('"_aws"')));
        return true;
      }
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    });
  const blobs = () => lines.map((line) => JSON.parse(line) as EmfBlob);
  return {
    blobs,
    withMetric: (name) =>
      blobs().filter((blob) =>
        blob._aws.CloudWatchMetrics.some((set) => set.Metrics.some((m) => m.Name === name)),
      ),
    restore: () => spy.mockRestore(),
  };
}
