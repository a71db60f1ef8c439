/** Base class of the archive command's errors. */
export class ArchiveError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArchiveError';
  }
}

/** A command-line argument of the archive command that cannot be used, naming the option and its value. */
export class ArchiveArgsError extends ArchiveError {
  public constructor(message: string) {
    super(message);
    this.name = 'ArchiveArgsError';
  }
}

/** DuckDB refused or failed a statement; `message` is DuckDB's own, on one line. */
export class ArchiveSqlError extends ArchiveError {
  /** The statement that failed. */
  public readonly sql: string;

  public constructor(message: string, sql: string, cause: unknown) {
    super(message, { cause });
    this.name = 'ArchiveSqlError';
    this.sql = sql;
  }
}

/** An S3 object key that cannot be stored in the cache (it would leave the cache folder). */
export class UnsafeArchiveKeyError extends ArchiveError {
  /** The key as listed. */
  public readonly key: string;

  public constructor(key: string) {
    super(`archive object key "${key}" cannot be cached: it has an empty, "." or ".." segment`);
    this.name = 'UnsafeArchiveKeyError';
    this.key = key;
  }
}
