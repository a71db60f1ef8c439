/** Signals that ask a long-running command to flush and stop, as Ctrl-C does. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** How often the parent's process id is checked under npm, ms. */
const PARENT_CHECK_INTERVAL_MS = 500;

/**
 * Calls `stop` once, with the reason, when the process is asked to stop:
 * SIGINT (Ctrl-C), SIGTERM (what process managers and container runtimes
 * send), SIGHUP (the terminal closed), or, when run by npm, the parent going
 * away. npm passes SIGINT and SIGTERM only to the child it spawned; when that
 * is a shell, the shell dies of it and this process is left running with
 * parent 1, so a changed parent is taken as a stop request too. Outside npm a
 * new parent is left alone: `nohup streamfold start &` must outlive its shell.
 * Returns a function that removes the handlers.
 *
 * @example
 * const dispose = onStopRequest((reason) => void pipeline.stop());
 */
export function onStopRequest(
  stop: (reason: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): () => void {
  let asked = false;
  const ask = (reason: string) => {
    // npm forwards a signal that also reaches the whole group: the second copy changes nothing.
    if (asked) return;
    asked = true;
    stop(reason);
  };
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => ask(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const parent = process.ppid;
  const watch =
    env.npm_lifecycle_event === undefined
      ? undefined
      : setInterval(() => {
          if (process.ppid !== parent) ask(`parent process ${parent} exited`);
        }, PARENT_CHECK_INTERVAL_MS);
  // The watch must never keep the process alive on its own.
  watch?.unref();
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    clearInterval(watch);
  };
}
