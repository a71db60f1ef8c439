import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { checkSampleEvents } from '../core/config/checkSampleEvents.js';
import { configSourceOf } from '../core/config/configSource.js';
import { ConfigError } from '../core/config/errors.js';
import type {
  LoadGeneratorCommand,
  LoadGeneratorMessage,
  LoadGeneratorOptions,
  LoadGeneratorProgress,
  LoadGeneratorResult,
  LoadGeneratorRun,
  LoadGeneratorSetup,
} from './loadGeneratorThread.js';
import { NO_SAMPLE_EVENTS } from './runLoadTest.js';
import { startTypeScriptWorker } from './startTypeScriptWorker.js';

/** How long the thread may take to load its modules, ms. */
const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Runs load in a worker thread of its own (`loadGeneratorThread.ts`): the
 * events are generated, validated, packed and put on another core than the
 * caller's, which matters when the caller also runs the pipeline under test.
 * One run at a time.
 *
 * @example
 * const generator = await LoadGenerator.start({ kinesis: { endpoint, region }, streamName, config });
 * try {
 *   const { run, stats } = await generator.run({ rate: 20_000, durationSeconds: 60, ... });
 * } finally {
 *   await generator.stop();
 * }
 */
export class LoadGenerator {
  readonly #worker: Worker;
  #pending:
    | {
        resolve: (result: LoadGeneratorResult) => void;
        reject: (error: Error) => void;
        onProgress: ((progress: LoadGeneratorProgress) => void) | undefined;
      }
    | undefined;
  #failure: Error | undefined;
  /** The thread's id in the operating system (Linux only), for reading its CPU time from `/proc`. */
  public readonly osThreadId: number | undefined;

  private constructor(worker: Worker, osThreadId: number | undefined) {
    this.#worker = worker;
    this.osThreadId = osThreadId;
    worker.on('message', (message: LoadGeneratorMessage) => this.#receive(message));
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => this.#fail(new Error(`load generator exited with code ${code}`)));
  }

  /**
   * Starts the thread and waits until it is ready to run.
   *
   * @throws {Error} when the thread fails to load or is not ready within 30 s
   */
  public static async start(options: LoadGeneratorOptions): Promise<LoadGenerator> {
    const { config, ...connection } = options;
    if (!config.sampleEvents) throw new ConfigError([NO_SAMPLE_EVENTS]);
    checkSampleEvents(config);
    const setup: LoadGeneratorSetup = { ...connection, configSource: configSourceOf(config) };
    const worker = startTypeScriptWorker(
      new URL('./loadGeneratorThread.ts', import.meta.url),
      setup,
    );
    let osThreadId: number | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`load generator not ready within ${STARTUP_TIMEOUT_MS} ms`)),
          STARTUP_TIMEOUT_MS,
        );
        const done = (error?: Error) => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', done);
          if (error) reject(error);
          else resolve();
        };
        const onMessage = (message: LoadGeneratorMessage) => {
          if (message.type !== 'ready') return;
          osThreadId = message.osThreadId;
          done();
        };
        worker.on('message', onMessage);
        worker.once('error', done);
      });
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return new LoadGenerator(worker, osThreadId);
  }

  /**
   * Runs `run` and resolves with its result once every put has settled.
   *
   * @throws {Error} when a run is already going, or the thread fails
   */
  public run(
    run: LoadGeneratorRun,
    onProgress?: (progress: LoadGeneratorProgress) => void,
  ): Promise<LoadGeneratorResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#pending) return Promise.reject(new Error('a load generator run is already going'));
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject, onProgress };
      const command: LoadGeneratorCommand = { type: 'run', run };
      this.#worker.postMessage(command);
    });
  }

  /**
   * How busy the thread's event loop has been since it started (or since
   * `since`, an earlier reading): the share of time it was running code.
   */
  public utilization(since?: EventLoopUtilization): EventLoopUtilization {
    return this.#worker.performance.eventLoopUtilization(since);
  }

  /** Ends the thread; a run still going is abandoned. */
  public async stop(): Promise<void> {
    this.#failure ??= new Error('the load generator was stopped');
    await this.#worker.terminate();
  }

  #receive(message: LoadGeneratorMessage): void {
    const pending = this.#pending;
    if (!pending) return;
    if (message.type === 'progress') {
      pending.onProgress?.(message.progress);
    } else if (message.type === 'done') {
      this.#pending = undefined;
      pending.resolve(message.result);
    } else if (message.type === 'failed') {
      this.#pending = undefined;
      pending.reject(new Error(`load generator run failed: ${message.message}`));
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(error);
  }
}
