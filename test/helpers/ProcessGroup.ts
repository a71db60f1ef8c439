import { readdirSync, readFileSync } from 'node:fs';

/** Reads `/proc/PID/stat` after the command: state, parent and process group; undefined once gone. */
function statOf(pid: number): { state: string; ppid: number; group: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // The process ended between the listing and the read.
    return undefined;
  }
  // After the command in parentheses (which may hold spaces): state, ppid, process group.
  const [state, ppid, group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: state as string, ppid: Number(ppid), group: Number(group) };
}

function livePids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** Live processes of process group `group` (zombies count as gone). */
export function groupMembers(group: number): number[] {
  return livePids().filter((pid) => {
    const stat = statOf(pid);
    return stat !== undefined && stat.group === group && stat.state !== 'Z';
  });
}

/** Live children of `parent` whose command line holds `fragment`. */
export function childrenOf(parent: number, fragment = ''): number[] {
  return livePids().filter((pid) => {
    const stat = statOf(pid);
    return stat?.ppid === parent && stat.state !== 'Z' && commandLineOf(pid).includes(fragment);
  });
}

/** The command line of `pid`, arguments joined by spaces; empty once it is gone. */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    // The process is gone: it has no command line.
    return '';
  }
}

/** Whether something listens on TCP `port` (IPv4 or IPv6), from `/proc/net/tcp` and `tcp6`. */
export function isListening(port: number): boolean {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      // State 0A is LISTEN; the local address is hex IP, colon, hex port.
      if (state === '0A' && local && Number.parseInt(local.split(':')[1] ?? '', 16) === port) {
        return true;
      }
    }
  }
  return false;
}

/**
 * Waits until `done()` holds, polling every 20 ms; resolves with the ms it took.
 *
 * @throws {Error} naming `what` after `timeoutMs`
 */
export async function waitUntil(
  done: () => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<number> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - start;
}
