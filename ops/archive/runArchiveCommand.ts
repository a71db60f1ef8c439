import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { didYouMeanSuffix } from '../../cli/didYouMean.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { escapeForTerminal } from '../../core/text/escapeForTerminal.js';
import { ArchiveCache, type ArchiveFetchProgress } from './ArchiveCache.js';
import { type ArchiveTarget, connectArchiveTarget } from './connectArchiveTarget.js';
import { ArchiveArgsError, ArchiveError, ArchiveSqlError } from './errors.js';
import { formatArchiveResult } from './formatArchiveResult.js';
import { namedArchiveQueries } from './namedArchiveQueries.js';
import { openArchiveDatabase } from './openArchiveDatabase.js';
import type { ArchiveArgs } from './parseArchiveArgs.js';

/** What {@link runArchiveCommand} needs from its surroundings. */
export interface ArchiveCommandContext {
  config: StreamfoldConfig;
  /** Builds the target; replaceable so tests can point at emulators on ephemeral ports. */
  connect?: (args: ArchiveArgs, config: StreamfoldConfig) => Promise<ArchiveTarget>;
  out?: { write(text: string): unknown };
  /** Progress and errors. */
  err?: { write(text: string): unknown; isTTY?: boolean };
}

/** The repository root: the default cache lives in its gitignored `.data/`. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Progress lines are shown when a run downloads at least this many objects. */
const PROGRESS_MIN_OBJECTS = 20;

/**
 * The archive command: lists the stack's saved queries, or fetches the
 * archive objects of the range into the cache and runs SQL (given, or a saved
 * query's) over them with DuckDB, printing the result as a table, CSV or JSON.
 *
 * @returns exit code 0 when answered, 1 when the SQL failed
 * @throws {ArchiveArgsError} when no saved query has the name given (exit 2)
 * @throws {ArchiveError} when the archive cannot be read, or its client's own error when
 *   nothing listens at the endpoint (ECONNREFUSED)
 */
export async function runArchiveCommand(
  args: ArchiveArgs,
  context: ArchiveCommandContext,
): Promise<number> {
  const out = context.out ?? process.stdout;
  const err = context.err ?? process.stderr;
  const { config } = context;
  const saved = namedArchiveQueries(config, args.stage);
  if (args.subcommand === 'queries') {
    const rows = saved.queries.map((query) => [query.id, query.name, query.description]);
    const result = { columns: ['id', 'name', 'description'], types: [], rows };
    out.write(`${formatArchiveResult(result, args.format)}\n`);
    return 0;
  }
  let sql = args.sql as string;
  if (args.named !== undefined) {
    const query = saved.queries.find((q) => q.id === args.named || q.name === args.named);
    if (!query) {
      const names = saved.queries.flatMap((q) => [q.id, q.name]);
      throw new ArchiveArgsError(
        `--named: no saved query is named "${args.named}" (saved: ${saved.queries.map((q) => q.id).join(', ')})${didYouMeanSuffix(args.named, names)}`,
      );
    }
    sql = query.queryString;
  }
  const target = await (context.connect ?? connectArchiveTarget)(args, config);
  try {
    const cache = new ArchiveCache({
      s3: target.s3,
      bucket: target.bucket,
      prefix: config.archive.prefix,
      cacheDir: args.cacheDir ?? join(ROOT, '.data', 'archive-cache', target.bucket),
      onProgress: progressPrinter(err),
    });
    let fetched: Awaited<ReturnType<ArchiveCache['fetch']>>;
    try {
      fetched = await cache.fetch({
        ...(args.since ? { since: args.since } : {}),
        until: args.until,
      });
    } catch (error) {
      // Nothing listening (ECONNREFUSED) is said as every command says it, with where to look.
      if (typeof (error as { code?: unknown }).code === 'string') throw error;
      throw new ArchiveError(
        `cannot read the archive on ${target.description}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const range = `${args.since ? args.since.toISOString() : 'the beginning'} to ${args.until.toISOString()}`;
    err.write(
      `${fetched.objects.length} archive objects arrived from ${range} on ${target.description}: ${fetched.cached} cached, ${fetched.downloaded} downloaded (${fetched.downloadedBytes} bytes)\n`,
    );
    const database = await openArchiveDatabase({
      files: fetched.files,
      catalog: config.catalog,
      prefix: config.archive.prefix,
      dedupe: args.dedupe,
      aliases: [{ database: saved.database, table: saved.table }],
    });
    try {
      const result = await database.query(sql);
      out.write(`${formatArchiveResult(result, args.format)}\n`);
      return 0;
    } catch (error) {
      if (!(error instanceof ArchiveSqlError)) throw error;
      // DuckDB quotes the value it could not convert, which may be an archived event's.
      err.write(`${escapeForTerminal(error.message, { keepLineBreaks: true })}\n`);
      return 1;
    } finally {
      database.close();
    }
  } finally {
    target.close();
  }
}

/** Prints progress while many objects download: in place on a terminal, every 10 % otherwise. */
function progressPrinter(err: {
  write(text: string): unknown;
  isTTY?: boolean;
}): (progress: ArchiveFetchProgress) => void {
  let lastTenth = -1;
  return (progress) => {
    if (progress.total - (progress.done - progress.downloaded) < PROGRESS_MIN_OBJECTS) return;
    const line = `fetching archive objects: ${progress.done}/${progress.total} (${progress.downloaded} downloaded, ${progress.downloadedBytes} bytes)`;
    if (err.isTTY) {
      err.write(`\r${line}${progress.done === progress.total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((progress.done / progress.total) * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    err.write(`${line}\n`);
  };
}
