import { Duration, Names, RemovalPolicy, Size, Token, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PARQUET_EXTENSION } from '../../core/codec/parquetExtension.js';
import { staticRootOf } from '../archivePartitioning.js';
import { ARCHIVE_DEFAULTS } from '../defaults.js';
import { firehoseDeliveryRole } from '../firehoseDeliveryRole.js';
import { objectWildcardFinding } from '../nagFindings.js';
import {
  grantReadTableSchema,
  type ParquetConversionTable,
  parquetConversionConfiguration,
} from '../parquetConversion.js';
import { secureBucket } from '../secureBucket.js';

/** Props of {@link RawArchive}. */
export interface RawArchiveProps {
  /** The stream Firehose reads. */
  stream: kinesis.IStream;
  /**
   * Name of the delivery stream; its role trusts Firehose only on behalf of this name.
   *
   * @default - a name unique to this construct's path
   */
  deliveryStreamName?: string;
  /** Firehose S3 prefix expression of delivered objects. */
  dataOutputPrefix: string;
  /** Firehose S3 prefix expression of records it could not deliver. */
  errorOutputPrefix: string;
  /** Receives the archive bucket's S3 server access logs. */
  serverAccessLogsBucket: s3.IBucket;
  /**
   * Flush when this much is buffered, 1-128 MiB.
   *
   * @default Size.mebibytes(5)
   */
  bufferingSize?: Size;
  /**
   * Flush at least this often, 0-900 s.
   *
   * @default Duration.seconds(300)
   */
  bufferingInterval?: Duration;
  /**
   * Object compression, of JSON objects only: Firehose refuses it with
   * `parquetConversion`.
   *
   * @default firehose.Compression.GZIP without `parquetConversion`, none with it
   */
  compression?: firehose.Compression;
  /**
   * Convert every record from JSON to Parquet against this Glue table's columns
   * (Firehose record format conversion). Records that do not fit go to
   * `errorOutputPrefix`, where `!{firehose:error-output-type}` is
   * `format-conversion-failed`. Needs `bufferingSize` of at least 64 MiB and no
   * `compression`. The caller makes the delivery stream depend on the table.
   *
   * @default - no conversion: records are archived as received, one per line
   */
  parquetConversion?: ParquetConversionTable;
  /**
   * Retention of Firehose's error log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  logRetention?: logs.RetentionDays;
  /**
   * What happens to the bucket and the log group when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  removalPolicy?: RemovalPolicy;
  /**
   * Empty the bucket when the stack deletes it.
   *
   * @default false
   */
  autoDeleteObjects?: boolean;
}

/** Smallest buffer Firehose takes with record format conversion, MiB. */
const CONVERSION_MIN_BUFFERING_MIB = 64;

/**
 * The raw event archive: a Firehose delivery stream that reads the Kinesis
 * stream and writes gzip NDJSON objects under the configured time-partitioned
 * prefix into a versioned, access-logged bucket with lifecycle rules. Every
 * record (every user record of a KPL aggregate, which Firehose de-aggregates)
 * is followed by a newline, so each one is a line of its own. With
 * `parquetConversion`, Firehose writes Parquet objects (`.parquet`) instead,
 * one row per record.
 *
 * The delivery role is built here with exactly the documented S3 actions: the
 * `S3Bucket` destination would otherwise grant `bucket.grantReadWrite`, which
 * includes deleting any object of the archive.
 */
export class RawArchive extends Construct {
  /** The archive bucket. */
  public readonly bucket: s3.Bucket;
  /** The Firehose delivery stream. */
  public readonly deliveryStream: firehose.DeliveryStream;
  /** The role Firehose assumes. */
  public readonly role: iam.Role;
  /** Firehose's delivery error log group. */
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: RawArchiveProps) {
    super(scope, id);
    const conversion = props.parquetConversion;
    const bufferingSize = props.bufferingSize ?? Size.mebibytes(conversion ? 128 : 5);
    if (conversion) {
      const mebibytes = bufferingSize.toMebibytes();
      if (!Token.isUnresolved(mebibytes) && mebibytes < CONVERSION_MIN_BUFFERING_MIB) {
        throw new Error(
          `bufferingSize must be at least ${CONVERSION_MIN_BUFFERING_MIB} MiB with parquetConversion (given ${mebibytes} MiB)`,
        );
      }
      if (props.compression !== undefined) {
        throw new Error(
          `compression must not be set with parquetConversion: Firehose refuses S3 compression when it converts records (given ${props.compression.value})`,
        );
      }
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const rootProblem = errorOutputRootProblem(props.dataOutputPrefix, props.errorOutputPrefix);
    if (rootProblem) throw new Error(`errorOutputPrefix ${rootProblem}`);
    const dataRoot = staticRootOf(props.dataOutputPrefix);
    const errorRoot = staticRootOf(props.errorOutputPrefix);

    this.bucket = secureBucket(this, 'Bucket', {
      removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects ?? false,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: 'archive/',
      versioned: ARCHIVE_DEFAULTS.versioned,
      lifecycleRules: [
        {
          id: 'tier-down-and-expire-old-versions',
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: ARCHIVE_DEFAULTS.infrequentAccessAfter,
            },
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: ARCHIVE_DEFAULTS.glacierInstantRetrievalAfter,
            },
          ],
          noncurrentVersionExpiration: ARCHIVE_DEFAULTS.noncurrentVersionExpiration,
        },
        {
          id: 'expire-delivery-errors',
          prefix: errorRoot,
          expiration: ARCHIVE_DEFAULTS.errorOutputExpiration,
        },
      ],
    });
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });

    const deliveryStreamName =
      props.deliveryStreamName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    // Objects only under the two static folders: never direct/ nor the rest of the bucket.
    this.role = firehoseDeliveryRole(this, 'Role', {
      deliveryStreamName,
      description:
        'Firehose archive: reads the event stream, writes its folders of the archive bucket',
      bucket: this.bucket,
      objectPrefixes: [dataRoot, errorRoot],
    });
    this.logGroup.grantWrite(this.role);
    if (conversion) grantReadTableSchema(this, this.role, conversion);

    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName,
      // The real role: the source grants stream read and key decrypt to it.
      role: this.role,
      source: new firehose.KinesisStreamSource(props.stream),
      destination: new firehose.S3Bucket(this.bucket, {
        // The same role, seen without policy updates, so the destination's broad
        // grantReadWrite is not added; the statements above replace it.
        role: this.role.withoutPolicyUpdates(),
        dataOutputPrefix: props.dataOutputPrefix,
        errorOutputPrefix: props.errorOutputPrefix,
        bufferingSize,
        bufferingInterval: props.bufferingInterval ?? Duration.seconds(300),
        compression: conversion ? undefined : (props.compression ?? firehose.Compression.GZIP),
        loggingConfig: new firehose.EnableLogging(this.logGroup),
        // Firehose concatenates records with no separator: a record that does not end
        // in a newline would merge with the next into one unreadable line. This appends
        // one to every record (an empty line follows a record that already ended in one;
        // archive readers skip it). The local runtime's S3DeliveryBuffer does the same.
        // Parquet rows need no delimiter.
        processors: conversion ? [] : [new firehose.AppendDelimiterToRecordProcessor()],
        // Said explicitly rather than left to the conversion's default: archive readers
        // (npm run archive, npm run reconcile) tell Parquet objects by this ending.
        ...(conversion ? { fileExtension: PARQUET_EXTENSION } : {}),
      }),
    });
    if (conversion) {
      // Set on the L1: the L2's schema binding needs the glue.CfnTable, which is built
      // over this construct's bucket, and grants glue:GetSchemaVersion on "*".
      const cfn = this.deliveryStream.node.defaultChild as firehose.CfnDeliveryStream;
      const destination = cfn.extendedS3DestinationConfiguration;
      if (destination === undefined || Token.isUnresolved(destination)) {
        throw new Error('RawArchive: the delivery stream has no S3 destination to convert into');
      }
      cfn.extendedS3DestinationConfiguration = {
        ...(destination as firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty),
        dataFormatConversionConfiguration: parquetConversionConfiguration(
          this,
          this.role,
          conversion,
        ),
      };
    }

    for (const root of [dataRoot, errorRoot]) {
      Validations.of(this.role).acknowledge({
        id: objectWildcardFinding(this.bucket, `${root}*`),
        reason: `Firehose names each object it writes under ${root} (prefix, timestamp, random suffix) and retries multipart uploads, so it needs the documented object actions on every key of its own folder; no delete action is granted.`,
      });
    }
    Validations.of(this.deliveryStream).acknowledge({
      id: 'AwsSolutions-KDF1',
      reason:
        'Firehose cannot enable server-side encryption when its source is a Kinesis data stream; the records are encrypted in the stream with its KMS key, in transit with TLS, and at rest in S3.',
    });
  }
}

/**
 * Why an error output prefix cannot go with a data prefix, or `undefined`:
 * error output must not land inside the data folder, where the archive table
 * reads, nor hold it.
 */
export function errorOutputRootProblem(
  dataPrefix: string,
  errorPrefix: string,
): string | undefined {
  const dataRoot = staticRootOf(dataPrefix);
  const errorRoot = staticRootOf(errorPrefix);
  if (errorRoot === '' || errorRoot.startsWith(dataRoot) || dataRoot.startsWith(errorRoot)) {
    return `must start with a static folder apart from the data folder "${dataRoot}" (given "${errorPrefix}")`;
  }
  return undefined;
}
