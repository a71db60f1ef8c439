import type { Subcommand } from './Subcommand.js';

/** A subcommand as `streamfold --help` lists it; its module is imported only when it runs. */
export interface SubcommandEntry {
  name: string;
  summary: string;
  load(): Promise<Subcommand>;
}

/** Every subcommand of `streamfold`, in the order `--help` lists them. */
export const SUBCOMMANDS: readonly SubcommandEntry[] = [
  {
    name: 'start',
    summary:
      'run the whole pipeline on this machine: emulators, handler, archiver, HTTP, dashboard',
    load: async () => (await import('./commands/startCommand.js')).startCommand,
  },
  {
    name: 'load',
    summary: 'drive the pipeline at a steady rate, report, and optionally verify the aggregates',
    load: async () => (await import('./commands/loadCommand.js')).loadCommand,
  },
  {
    name: 'query',
    summary: 'read the aggregates: a series, the top groups, the groups, the metrics',
    load: async () => (await import('./commands/queryCommand.js')).queryCommand,
  },
  {
    name: 'archive',
    summary: 'SQL over the raw-event archive with DuckDB',
    load: async () => (await import('./commands/archiveCommand.js')).archiveCommand,
  },
  {
    name: 'reconcile',
    summary: 'recompute aggregates from the archive; report drift, repair it, or backfill a metric',
    load: async () => (await import('./commands/reconcileCommand.js')).reconcileCommand,
  },
  {
    name: 'redrive',
    summary: 'apply Lambda on-failure records to the aggregates, exactly once',
    load: async () => (await import('./commands/redriveCommand.js')).redriveCommand,
  },
  {
    name: 'bench',
    summary: 'measure streamfold against naive baselines and write bench/results.*',
    load: async () => (await import('./commands/benchCommand.js')).benchCommand,
  },
];
