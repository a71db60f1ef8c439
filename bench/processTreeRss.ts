import { readFileSync } from 'node:fs';

/**
 * Resident set size of a process and all its descendants, bytes, read from
 * `/proc` (Linux). The local runtime keeps each emulator in a child process
 * of its own, so the memory `npm start` holds is the sum. `undefined` where
 * `/proc` is not available.
 */
export function processTreeRss(pid: number = process.pid): number | undefined {
  try {
    return (
      rssOf(pid) + childrenOf(pid).reduce((sum, child) => sum + (processTreeRss(child) ?? 0), 0)
    );
  } catch (error) {
    // A child that exits between listing and reading is simply gone; anything else means no /proc.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && pid !== process.pid) return 0;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

function childrenOf(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return children === '' ? [] : children.split(/\s+/).map(Number);
}
