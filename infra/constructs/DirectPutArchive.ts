import { Duration, Names, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { staticRootOf } from '../../core/codec/firehosePrefix.js';
import { firehoseDeliveryRole } from '../firehoseDeliveryRole.js';
import { objectWildcardFinding } from '../nagFindings.js';

/** Props of {@link DirectPutArchive}. */
export interface DirectPutArchiveProps {
  /** The bucket Firehose writes to (the archive bucket). */
  bucket: s3.IBucket;
  /**
   * Name of the delivery stream producers PUT to; its role trusts Firehose only on
   * behalf of this name.
   *
   * @default - a name unique to this construct's path
   */
  deliveryStreamName?: string;
  /** Firehose S3 prefix expression of delivered objects; must start with a static folder. */
  dataOutputPrefix: string;
  /** Firehose S3 prefix expression of records it could not process; a static folder of its own. */
  errorOutputPrefix: string;
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
   * Object compression.
   *
   * @default firehose.Compression.GZIP
   */
  compression?: firehose.Compression;
  /**
   * Server-side encryption of the records while Firehose holds them.
   *
   * @default firehose.StreamEncryption.awsOwnedKey() - encrypted, with no key to manage or pay for
   */
  encryption?: firehose.StreamEncryption;
  /**
   * Retention of Firehose's error log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  removalPolicy?: RemovalPolicy;
}

/**
 * A Firehose delivery stream with direct PUT as its source (what
 * `FirehoseProducer` writes to), delivering gzip NDJSON objects into an
 * existing bucket under its own prefix, each record followed by a newline
 * (whether or not it ended in one). Records are encrypted at rest while
 * Firehose holds them. Its role may write objects only under the two static
 * folders of its prefixes, so it can never touch the rest of the archive.
 */
export class DirectPutArchive extends Construct {
  /** The delivery stream producers PUT to. */
  public readonly deliveryStream: firehose.DeliveryStream;
  /** The role Firehose assumes to write the bucket. */
  public readonly role: iam.Role;
  /** Firehose's delivery error log group. */
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: DirectPutArchiveProps) {
    super(scope, id);
    const dataRoot = staticRootOf(props.dataOutputPrefix);
    const errorRoot = staticRootOf(props.errorOutputPrefix);
    for (const [name, prefix, root] of [
      ['dataOutputPrefix', props.dataOutputPrefix, dataRoot],
      ['errorOutputPrefix', props.errorOutputPrefix, errorRoot],
    ] as const) {
      if (!/^[^/]+\//.test(root)) {
        throw new Error(
          `${name} must start with a static folder such as "direct/" (given "${prefix}")`,
        );
      }
    }
    if (errorRoot.startsWith(dataRoot) || dataRoot.startsWith(errorRoot)) {
      throw new Error(
        `errorOutputPrefix must start with a static folder apart from the data folder "${dataRoot}" (given "${props.errorOutputPrefix}")`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const deliveryStreamName =
      props.deliveryStreamName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    this.role = firehoseDeliveryRole(this, 'Role', {
      deliveryStreamName,
      description: 'Firehose direct PUT: writes its own folders of the archive bucket',
      bucket: props.bucket,
      objectPrefixes: [dataRoot, errorRoot],
    });
    this.logGroup.grantWrite(this.role);

    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName,
      encryption: props.encryption ?? firehose.StreamEncryption.awsOwnedKey(),
      // No source: producers PUT records directly.
      destination: new firehose.S3Bucket(props.bucket, {
        // The role seen without policy updates, so the destination's broad
        // grantReadWrite (delete included, whole bucket) is not added.
        role: this.role.withoutPolicyUpdates(),
        dataOutputPrefix: props.dataOutputPrefix,
        errorOutputPrefix: props.errorOutputPrefix,
        bufferingSize: props.bufferingSize ?? Size.mebibytes(5),
        bufferingInterval: props.bufferingInterval ?? Duration.seconds(300),
        compression: props.compression ?? firehose.Compression.GZIP,
        loggingConfig: new firehose.EnableLogging(this.logGroup),
        // Firehose concatenates records with no separator: a record that does not end
        // in a newline would merge with the next into one unreadable line. This appends
        // one to every record (an empty line follows a record that already ended in one;
        // archive readers skip it). The local runtime's S3DeliveryBuffer does the same.
        processors: [new firehose.AppendDelimiterToRecordProcessor()],
      }),
    });

    for (const root of [dataRoot, errorRoot]) {
      Validations.of(this.role).acknowledge({
        id: objectWildcardFinding(props.bucket, `${root}*`),
        reason: `Firehose names each object it writes under ${root} (prefix, timestamp, random suffix) and retries multipart uploads, so it needs the documented object actions on every key of its own folder; no delete action is granted.`,
      });
    }
  }
}
