/**
 * Thrown when a checkpoint file exists but cannot be used: truncated, not
 * JSON, or not a map from shard id to sequence number. The message is one
 * line that names the file, says what is wrong and what to do about it.
 */
export class CheckpointFileError extends Error {
  public constructor(
    /** The checkpoint file. */
    public readonly file: string,
    /** What is wrong with it, for example `not JSON (Unexpected end of JSON input)`. */
    public readonly problem: string,
    /** What the reader of this file does when it is deleted, and the way back. */
    public readonly recovery: string,
    options?: ErrorOptions,
  ) {
    super(`checkpoint file ${file} is damaged: ${problem}. ${recovery}`, options);
    this.name = 'CheckpointFileError';
  }
}
