import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { CheckpointFileError } from './CheckpointFileError.js';

/**
 * How often a running reader's checkpoints are written to its file, ms. After
 * a crash (`kill -9`, power loss) the reader replays at most this much work
 * plus the batch in flight; each write is a small fsync'ed file, so 2 s costs
 * nothing measurable.
 */
export const CHECKPOINT_SAVE_INTERVAL_MS = 2_000;

/** Options of {@link CheckpointStore}. */
export interface CheckpointStoreOptions {
  /** JSON file the checkpoints are read from and saved to; in memory only when omitted. */
  file?: string;
  /**
   * The way forward when the file is damaged, quoted in the error: what
   * deleting the file makes this reader do, and that restoring it is the
   * alternative.
   * @default - "delete it to read the stream again from its start, or restore it"
   */
  recovery?: string;
}

/** A sequence number as Kinesis writes it: decimal digits. */
const SEQUENCE_NUMBER = /^\d{1,128}$/;

/**
 * Key of the reader's creation time in the file. Shard ids all start with
 * `shardId-`, so it can never name a shard.
 */
const CREATED_AT_KEY = 'createdAt';

/**
 * Last processed sequence number per shard for one reader (the event source
 * mapping or the archiver). In memory, optionally kept in a JSON file so a
 * restart with `--data-dir` resumes where it stopped, after a crash too:
 * {@link startPeriodicSave} writes changed checkpoints every few seconds.
 *
 * A save replaces the file atomically (temporary file in the same folder,
 * fsync, rename), so a crash mid-save leaves the previous checkpoints, never
 * a truncated file.
 *
 * @example
 * const checkpoints = new CheckpointStore({ file: 'data/aggregate-checkpoints.json' });
 * checkpoints.startPeriodicSave((error) => console.error(error));
 * checkpoints.set('shardId-000000000000', '4959…');
 * checkpoints.stopPeriodicSave(); // saves once more
 */
export class CheckpointStore {
  readonly #file: string | undefined;
  readonly #positions: Record<string, string>;
  #createdAt: Date | undefined;
  /** Whether a checkpoint moved since the last save. */
  #changed = false;
  #timer: NodeJS.Timeout | undefined;

  /** @throws {CheckpointFileError} when the file exists but is damaged */
  public constructor(options: CheckpointStoreOptions = {}) {
    this.#file = options.file;
    const read =
      options.file && existsSync(options.file)
        ? readCheckpointFile(
            options.file,
            options.recovery ?? 'Delete it to read the stream again from its start, or restore it.',
          )
        : { positions: {}, createdAt: undefined };
    this.#positions = read.positions;
    this.#createdAt = read.createdAt;
  }

  /**
   * When the reader these checkpoints belong to was created, if it recorded
   * it with {@link markCreated}: a reader that starts at LATEST reads a shard
   * without a checkpoint from this instant, so a restart before its first
   * checkpoint neither skips nor repeats anything.
   */
  public get createdAt(): Date | undefined {
    return this.#createdAt;
  }

  /**
   * Records the reader's creation time, once, and saves at once (a crash
   * before the first checkpoint must not move the reader's start).
   *
   * @throws {Error} when a creation time is already recorded
   */
  public markCreated(at: Date): void {
    if (this.#createdAt) {
      throw new Error(
        `${this.#file ?? 'the checkpoint store'} already records a creation time (${this.#createdAt.toISOString()})`,
      );
    }
    this.#createdAt = at;
    this.#changed = true;
    this.save();
  }

  /** The file the checkpoints are saved to, if any. */
  public get file(): string | undefined {
    return this.#file;
  }

  /** Whether any shard has a checkpoint. */
  public get hasPositions(): boolean {
    return Object.keys(this.#positions).length > 0;
  }

  public get(shardId: string): string | undefined {
    return this.#positions[shardId];
  }

  public set(shardId: string, sequenceNumber: string): void {
    if (this.#positions[shardId] === sequenceNumber) return;
    this.#positions[shardId] = sequenceNumber;
    this.#changed = true;
  }

  /** Writes the checkpoints to the file, if there is one and a checkpoint moved since the last save. */
  public save(): void {
    if (!this.#file || !this.#changed) return;
    const content = this.#createdAt
      ? { [CREATED_AT_KEY]: this.#createdAt.toISOString(), ...this.#positions }
      : this.#positions;
    writeFileAtomically(this.#file, `${JSON.stringify(content, null, 2)}\n`);
    this.#changed = false;
  }

  /**
   * Saves every `intervalMs` from now on, until {@link stopPeriodicSave}. The
   * timer does not keep the process alive.
   *
   * @param onError told about a failed save; the next tick tries again
   */
  public startPeriodicSave(
    onError: (error: unknown) => void,
    intervalMs = CHECKPOINT_SAVE_INTERVAL_MS,
  ): void {
    if (!this.#file || this.#timer) return;
    this.#timer = setInterval(() => {
      try {
        this.save();
      } catch (error) {
        onError(error);
      }
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the periodic save and saves once more. */
  public stopPeriodicSave(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.save();
  }
}

function readCheckpointFile(
  file: string,
  recovery: string,
): { positions: Record<string, string>; createdAt: Date | undefined } {
  const damaged = (problem: string, cause?: unknown) =>
    new CheckpointFileError(file, problem, recovery, cause === undefined ? undefined : { cause });
  const text = readFileSync(file, 'utf8');
  if (text.trim() === '') throw damaged('it is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw damaged(`not JSON (${error instanceof Error ? error.message : String(error)})`, error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw damaged(`expected an object of shard id to sequence number (given ${describe(parsed)})`);
  }
  const positions: Record<string, string> = {};
  let createdAt: Date | undefined;
  for (const [shardId, sequenceNumber] of Object.entries(parsed)) {
    if (shardId === CREATED_AT_KEY) {
      createdAt = typeof sequenceNumber === 'string' ? new Date(sequenceNumber) : undefined;
      if (!createdAt || Number.isNaN(createdAt.getTime())) {
        throw damaged(`${CREATED_AT_KEY} is not a timestamp (given ${describe(sequenceNumber)})`);
      }
      continue;
    }
    if (typeof sequenceNumber !== 'string' || !SEQUENCE_NUMBER.test(sequenceNumber)) {
      throw damaged(
        `the checkpoint of ${shardId} is not a sequence number (given ${describe(sequenceNumber)})`,
      );
    }
    positions[shardId] = sequenceNumber;
  }
  return { positions, createdAt };
}

/** Replaces `file` with `text` so that a crash at any point leaves either the old or the new content. */
function writeFileAtomically(file: string, text: string): void {
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  // The rename itself survives a power loss only once the folder is synced too.
  const folder = openSync(dirname(file), 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
