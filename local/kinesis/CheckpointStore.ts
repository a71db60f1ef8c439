import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Last processed sequence number per shard for one reader (the event source
 * mapping or the archiver). In memory, optionally saved to a JSON file so a
 * restart with `--data-dir` resumes where it stopped.
 */
export class CheckpointStore {
  readonly #file: string | undefined;
  readonly #positions: Record<string, string>;

  public constructor(file?: string) {
    this.#file = file;
    this.#positions =
      file && existsSync(file)
        ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)
        : {};
  }

  public get(shardId: string): string | undefined {
    return this.#positions[shardId];
  }

  public set(shardId: string, sequenceNumber: string): void {
    this.#positions[shardId] = sequenceNumber;
  }

  /** Writes the checkpoints to the file, if there is one. */
  public save(): void {
    if (this.#file) writeFileSync(this.#file, JSON.stringify(this.#positions, null, 2));
  }
}
