import { onStopRequest } from './onStopRequest.js';
import type { CommandContext } from './Subcommand.js';

/**
 * Resolves with `work`'s exit code, or with 1 as soon as the process is asked
 * to stop (SIGINT, SIGTERM, SIGHUP; see `onStopRequest`), after one line on
 * `err` saying so. For commands whose result means nothing once cut short
 * (`load`, `bench`): the caller exits, and with the process go its worker
 * threads, its embedded emulators (their IPC channel closes) and their
 * temporary folders.
 *
 * @example
 * return untilStopRequest('load', runLoadCommand(args, context).then((r) => r.exitCode), err);
 */
export async function untilStopRequest(
  command: string,
  work: Promise<number>,
  err: CommandContext['err'],
): Promise<number> {
  let dispose: () => void = () => undefined;
  const stopped = new Promise<number>((resolve) => {
    dispose = onStopRequest((reason) => {
      err.write(`\nstreamfold ${command}: stopping (${reason}); the run is abandoned\n`);
      resolve(1);
    });
  });
  try {
    return await Promise.race([work, stopped]);
  } finally {
    dispose();
  }
}
