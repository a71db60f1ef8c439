import { KplRecordBuilder, type KplUserRecord } from '../core/codec/kplCodec.js';

/**
 * How events are put into Kinesis records:
 * - `ndjson`: several events per record as newline-delimited JSON (the default;
 *   Firehose concatenation keeps the archive valid NDJSON);
 * - `kpl`: the KPL aggregated record format, for KCL and other KPL-aware consumers;
 * - `none`: one event per record.
 */
export type PackingMode = 'ndjson' | 'kpl' | 'none';

/** All packing modes, for option checks and CLIs. */
export const PACKING_MODES: readonly PackingMode[] = ['ndjson', 'kpl', 'none'];

/** An encoded event on its way into a record. */
export interface PackableEvent {
  /** The event's NDJSON line, newline included. */
  line: Buffer;
  partitionKey: string;
}

/** A record being filled; `sizeWith` tells what adding an event would make its data. */
export interface RecordDraft {
  readonly count: number;
  sizeWith(event: PackableEvent): number;
  add(event: PackableEvent): void;
  build(): Buffer;
}

/**
 * Starts an empty record of the given packing mode.
 *
 * @param shardHashKey KPL only: the `ExplicitHashKey` the record is sent with.
 *   KCL drops an aggregate whose user records hash outside the shard it was
 *   read from, so every user record carries this hash key: the aggregate then
 *   stays whole wherever it lands, also on a child of a shard split while it
 *   was on its way. Without one (no shard map), all user records share the
 *   first one's partition key instead.
 */
export function createRecordDraft(mode: PackingMode, shardHashKey?: string): RecordDraft {
  switch (mode) {
    case 'ndjson':
      return new NdjsonDraft();
    case 'kpl':
      return new KplDraft(shardHashKey);
    case 'none':
      return new SingleEventDraft();
  }
}

class NdjsonDraft implements RecordDraft {
  readonly #lines: Buffer[] = [];
  #size = 0;

  public get count(): number {
    return this.#lines.length;
  }

  public sizeWith(event: PackableEvent): number {
    return this.#size + event.line.length;
  }

  public add(event: PackableEvent): void {
    this.#lines.push(event.line);
    this.#size += event.line.length;
  }

  public build(): Buffer {
    return this.#lines.length === 1
      ? (this.#lines[0] as Buffer)
      : Buffer.concat(this.#lines, this.#size);
  }
}

class KplDraft implements RecordDraft {
  readonly #builder = new KplRecordBuilder();
  readonly #shardHashKey: string | undefined;
  #firstKey: string | undefined;

  public constructor(shardHashKey: string | undefined) {
    this.#shardHashKey = shardHashKey;
  }

  #userRecord(event: PackableEvent): KplUserRecord {
    if (this.#shardHashKey !== undefined) {
      return {
        partitionKey: event.partitionKey,
        explicitHashKey: this.#shardHashKey,
        data: event.line,
      };
    }
    return { partitionKey: this.#firstKey ?? event.partitionKey, data: event.line };
  }

  public get count(): number {
    return this.#builder.count;
  }

  public sizeWith(event: PackableEvent): number {
    return this.#builder.sizeWith(this.#userRecord(event));
  }

  public add(event: PackableEvent): void {
    this.#builder.add(this.#userRecord(event));
    this.#firstKey ??= event.partitionKey;
  }

  public build(): Buffer {
    return this.#builder.build();
  }
}

class SingleEventDraft implements RecordDraft {
  #line: Buffer | undefined;

  public get count(): number {
    return this.#line ? 1 : 0;
  }

  public sizeWith(event: PackableEvent): number {
    // A second event never fits: one event per record.
    return this.#line ? Number.POSITIVE_INFINITY : event.line.length;
  }

  public add(event: PackableEvent): void {
    if (this.#line) throw new Error('a record of packing mode "none" holds one event');
    this.#line = event.line;
  }

  public build(): Buffer {
    return this.#line ?? Buffer.alloc(0);
  }
}
