import { readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` times: USER_HZ, 100 on Linux. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) a process has used, all its threads together, or
 * one thread of it when `threadId` is given (its id in the operating system),
 * seconds at 10 ms resolution, read from `/proc` (Linux). Unlike wall-clock
 * shares, CPU time does not grow when other work on the machine takes the
 * cores, so per-part CPU shows which part of the pipeline costs what.
 * `undefined` when `/proc` does not have the process or thread.
 *
 * @example
 * const before = cpuSecondsOf(pid);
 * // …
 * const used = (cpuSecondsOf(pid) ?? 0) - (before ?? 0);
 */
export function cpuSecondsOf(pid: number, threadId?: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(
      threadId === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${threadId}/stat`,
      'utf8',
    );
  } catch (error) {
    // A process that has exited, or no /proc at all: nothing to report.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // After the command in parentheses (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
