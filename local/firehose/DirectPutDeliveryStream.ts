import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { type S3Delivery, S3DeliveryBuffer } from '../archiver/S3DeliveryBuffer.js';

const MIB = 1024 * 1024;

/** Settings of one direct-PUT delivery stream with an S3 destination. */
export interface DirectPutDeliveryStreamSettings {
  deliveryStreamName: string;
  bucket: string;
  /** Firehose prefix expression of delivered objects. */
  prefix: string;
  /** Firehose prefix expression of records it could not deliver (reported; nothing fails locally). */
  errorOutputPrefix: string;
  bufferingSizeBytes: number;
  bufferingIntervalMs: number;
}

/** Where ARNs place the local resources. */
export interface LocalAccount {
  region: string;
  accountId: string;
}

/** Counters of one delivery stream. */
export interface DeliveryStreamStats {
  /** Records stored (acknowledged with a record id). */
  recordsAccepted: number;
  /** Record data bytes stored. */
  bytesAccepted: number;
  objectsDelivered: number;
  /** Non-empty NDJSON lines in the objects written. */
  linesDelivered: number;
}

/**
 * A Firehose delivery stream whose source is direct PUT and whose destination
 * is S3: every record it accepts gets a record id and goes into an
 * {@link S3DeliveryBuffer}, which appends a newline to it (the stack's
 * `AppendDelimiterToRecord` processor) and writes gzip objects under the
 * expanded prefix with Firehose's buffering and naming. Records are held in
 * memory until written (Firehose keeps them durably for 24 hours; a stopped
 * process does not).
 */
export class DirectPutDeliveryStream {
  public readonly settings: DirectPutDeliveryStreamSettings;
  public readonly stats: DeliveryStreamStats = {
    recordsAccepted: 0,
    bytesAccepted: 0,
    objectsDelivered: 0,
    linesDelivered: 0,
  };
  readonly #account: LocalAccount;
  readonly #createdAt = new Date();
  readonly #buffer: S3DeliveryBuffer;

  public constructor(
    settings: DirectPutDeliveryStreamSettings,
    s3: S3Client,
    account: LocalAccount,
    hooks: {
      onDelivered?: (delivery: S3Delivery) => void;
      onError?: (error: unknown) => void;
    } = {},
  ) {
    this.settings = settings;
    this.#account = account;
    this.#buffer = new S3DeliveryBuffer({
      s3,
      bucket: settings.bucket,
      prefix: settings.prefix,
      deliveryStreamName: settings.deliveryStreamName,
      bufferingSizeBytes: settings.bufferingSizeBytes,
      bufferingIntervalMs: settings.bufferingIntervalMs,
      onDelivered: (delivery) => {
        this.stats.objectsDelivered++;
        this.stats.linesDelivered += delivery.lines;
        hooks.onDelivered?.(delivery);
      },
      ...(hooks.onError ? { onError: hooks.onError } : {}),
    });
  }

  /** The delivery stream's ARN. */
  public get arn(): string {
    const { region, accountId } = this.#account;
    return `arn:aws:firehose:${region}:${accountId}:deliverystream/${this.settings.deliveryStreamName}`;
  }

  /** Records accepted and not yet written to S3. */
  public get bufferedRecords(): number {
    return this.#buffer.bufferedRecords;
  }

  /** Starts the buffering-interval timer. */
  public start(): void {
    this.#buffer.start();
  }

  /** Stops the timer and writes what is buffered. */
  public stop(): Promise<void> {
    return this.#buffer.stop();
  }

  /** Writes what is buffered now. */
  public flush(): Promise<void> {
    return this.#buffer.flush();
  }

  /**
   * Stores records (already checked against the API limits) and returns their
   * record ids, in order. The size trigger of the buffer starts a write in the
   * background: Firehose acknowledges on receipt, not on delivery.
   */
  public accept(records: readonly Buffer[], arrival = new Date()): string[] {
    return records.map((data) => {
      this.stats.recordsAccepted++;
      this.stats.bytesAccepted += data.length;
      void this.#buffer.add(data, arrival);
      return newRecordId();
    });
  }

  /** The `DeliveryStreamDescription` DescribeDeliveryStream returns, as JSON 1.1 puts it on the wire. */
  public describe(): Record<string, unknown> {
    const { settings } = this;
    const { accountId } = this.#account;
    const s3Destination = {
      RoleARN: `arn:aws:iam::${accountId}:role/${settings.deliveryStreamName}-delivery`,
      BucketARN: `arn:aws:s3:::${settings.bucket}`,
      Prefix: settings.prefix,
      ErrorOutputPrefix: settings.errorOutputPrefix,
      BufferingHints: {
        SizeInMBs: Math.max(1, Math.round(settings.bufferingSizeBytes / MIB)),
        IntervalInSeconds: Math.round(settings.bufferingIntervalMs / 1_000),
      },
      CompressionFormat: 'GZIP',
      EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
      CloudWatchLoggingOptions: { Enabled: false },
    };
    // JSON 1.1 sends timestamps as epoch seconds.
    const created = this.#createdAt.getTime() / 1_000;
    return {
      DeliveryStreamName: settings.deliveryStreamName,
      DeliveryStreamARN: this.arn,
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
      VersionId: '1',
      CreateTimestamp: created,
      LastUpdateTimestamp: created,
      Destinations: [
        {
          DestinationId: 'destinationId-000000000001',
          S3DestinationDescription: s3Destination,
          ExtendedS3DestinationDescription: {
            ...s3Destination,
            // As DirectPutArchive configures it; S3DeliveryBuffer appends the newline.
            ProcessingConfiguration: {
              Enabled: true,
              Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }],
            },
            S3BackupMode: 'Disabled',
          },
        },
      ],
      HasMoreDestinations: false,
    };
  }
}

/** An opaque, unique record id, as Firehose returns one per stored record. */
function newRecordId(): string {
  return randomBytes(48).toString('base64');
}
