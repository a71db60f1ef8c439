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
  let asked = false;
  const stopped = new Promise<number>((resolve) => {
    dispose = onStopRequest((reason) => {
      asked = true;
      err.write(`\nstreamfold ${command}: stopping (${reason}); the run is abandoned\n`);
      resolve(1);
    });
  });
  const code = await Promise.race([work, stopped]);
  // After a stop request the handlers stay: a second copy of the signal (npm forwards what also
  // reached the group) must not end the process before it exits with the code above.
  if (!asked) dispose();
  return code;
}
