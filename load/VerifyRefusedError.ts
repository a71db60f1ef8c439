/**
 * `load --verify` cannot vouch for a run against this table: something else
 * changed its aggregates while the load test wrote nothing, so a mismatch
 * afterwards could not be told from the other writer's events. Exit code 1,
 * before a single event is sent.
 */
export class VerifyRefusedError extends Error {
  /** Aggregate items that changed during the quiet check. */
  public readonly changedItems: number;

  public constructor(changedItems: number, quietSeconds: number) {
    super(
      `--verify refused: ${changedItems} aggregate${changedItems === 1 ? '' : 's'} changed in ${quietSeconds} s ` +
        'while this run had sent nothing, so another producer is writing to the stream (the demo producer of ' +
        '`streamfold start`? restart it with --no-demo) or the pipeline is still folding earlier events; ' +
        'run without --verify, or verify once the table is quiet',
    );
    this.name = 'VerifyRefusedError';
    this.changedItems = changedItems;
  }
}
