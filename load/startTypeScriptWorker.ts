import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a TypeScript module. A worker does not inherit
 * the `tsx` loader of the thread that starts it (the loader registers its
 * hooks on the main thread only), so the worker first registers tsx's ESM
 * hooks for itself and then imports `module`. Works under `tsx`, under
 * `node --import tsx` and under vitest alike.
 *
 * @example
 * const worker = startTypeScriptWorker(new URL('./loadGeneratorThread.ts', import.meta.url), setup);
 */
export function startTypeScriptWorker(
  module: URL,
  workerData: unknown,
  options: Omit<WorkerOptions, 'eval' | 'workerData'> = {},
): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsx)})` +
    `.then((api) => { api.register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true, workerData });
}
