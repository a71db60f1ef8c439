/**
 * `@streamfold/sdk`: the producers that put streamfold events into Kinesis Data Streams and
 * Firehose, the event types a catalog is declared with, the codecs and limits they write to,
 * and their errors. Built from the project's own sources; this file only re-exports.
 *
 * @packageDocumentation
 */

export {
  CodecError,
  EmptyKplRecordError,
  InvalidKplUserRecordError,
} from '../core/codec/errors.js';
export {
  deaggregateKplRecord,
  isKplAggregated,
  KPL_MAGIC,
  KplRecordBuilder,
  type KplRecordReading,
  type KplUserRecord,
  readKplRecord,
} from '../core/codec/kplCodec.js';
export {
  FIREHOSE_LIMITS,
  FIREHOSE_RECORD_TARGET_BYTES,
  KINESIS_LIMITS,
  PACKED_RECORD_TARGET_BYTES,
} from '../core/codec/limits.js';
export { encodeEventLine, packLines, unpackRecord } from '../core/codec/ndjsonCodec.js';
export {
  type CatalogEvent,
  defineCatalog,
  type EventCatalog,
  type TypedEvent,
} from '../core/events/catalog.js';
export {
  envelopeSchema,
  MAX_EVENT_ID_LENGTH,
  type StreamfoldEvent,
} from '../core/events/envelope.js';
export type { RejectCode, RejectReason } from '../core/events/RejectReason.js';
export {
  type EventValidation,
  MAX_EVENT_NESTING_DEPTH,
  validateEventObject,
} from '../core/events/validateEvent.js';
export type { HistogramSummary } from '../core/stats/LogHistogram.js';
export {
  EventTooLargeError,
  InvalidEventError,
  ProducerClosedError,
  ProducerError,
  PutFailedError,
  RecordExpiredError,
} from '../producers/errors.js';
export {
  type FirehoseAcknowledgement,
  FirehoseProducer,
  type FirehoseProducerEvents,
  type FirehoseProducerOptions,
  type FirehoseProducerStats,
} from '../producers/FirehoseProducer.js';
export {
  KinesisProducer,
  type KinesisProducerEvents,
  type KinesisProducerOptions,
  type ProducerLogger,
  type ProducerStats,
  type ProducerStatsSnapshot,
  type PutAcknowledgement,
  type PutOptions,
  SHARD_WRITE_LIMITS,
} from '../producers/KinesisProducer.js';
export { PACKING_MODES, type PackingMode } from '../producers/RecordDraft.js';
export type { ShardRoute } from '../producers/ShardMap.js';
