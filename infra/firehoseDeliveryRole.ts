import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Options of {@link firehoseDeliveryRole}. */
export interface FirehoseDeliveryRoleOptions {
  /** Name of the one delivery stream that may assume the role. */
  deliveryStreamName: string;
  /** The role's description. */
  description: string;
  /** The destination bucket. */
  bucket: s3.IBucket;
  /**
   * Static key prefixes the role may write objects under: the static roots of the
   * stream's `Prefix` and `ErrorOutputPrefix` (`staticRootOf`). None may be empty,
   * which would be the whole bucket.
   */
  objectPrefixes: readonly string[];
}

/** Actions Firehose needs on an S3 destination, as documented for its delivery role. */
export const FIREHOSE_S3_OBJECT_ACTIONS = [
  's3:AbortMultipartUpload',
  's3:GetObject',
  's3:PutObject',
] as const;
/** Bucket-level actions of the same documented policy. */
export const FIREHOSE_S3_BUCKET_ACTIONS = [
  's3:GetBucketLocation',
  's3:ListBucket',
  's3:ListBucketMultipartUploads',
] as const;

/**
 * The ARN of a delivery stream from its name, built without a reference to the
 * stream so that the role the stream depends on can name it (no circular
 * dependency).
 *
 * @example
 * deliveryStreamArn(stack, 'streamfold-archive-dev');
 * // arn:${Partition}:firehose:${Region}:${AccountId}:deliverystream/streamfold-archive-dev
 */
export function deliveryStreamArn(scope: Construct, deliveryStreamName: string): string {
  return Stack.of(scope).formatArn({
    service: 'firehose',
    resource: 'deliverystream',
    resourceName: deliveryStreamName,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * The role a Firehose delivery stream with an S3 destination assumes, built by
 * hand instead of by the `S3Bucket` destination, which grants
 * `bucket.grantReadWrite` (every key, delete included):
 *
 * - trust: `firehose.amazonaws.com`, only on behalf of this account
 *   (`aws:SourceAccount`) and this one delivery stream (`aws:SourceArn`), so no
 *   other account's or stream's Firehose can be made to use it (confused deputy);
 * - S3: the documented bucket actions on the bucket, and the documented object
 *   actions only under `objectPrefixes`.
 *
 * The caller adds the log group and, for a Kinesis source, the stream grants.
 */
export function firehoseDeliveryRole(
  scope: Construct,
  id: string,
  options: FirehoseDeliveryRoleOptions,
): iam.Role {
  for (const prefix of options.objectPrefixes) {
    if (prefix === '' || prefix.startsWith('/')) {
      throw new Error(
        `objectPrefixes must be static key prefixes such as "events/", not the whole bucket (given "${prefix}")`,
      );
    }
  }
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
      ArnEquals: { 'aws:SourceArn': deliveryStreamArn(scope, options.deliveryStreamName) },
    }),
    description: options.description,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [...FIREHOSE_S3_BUCKET_ACTIONS],
      resources: [options.bucket.bucketArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [...FIREHOSE_S3_OBJECT_ACTIONS],
      resources: options.objectPrefixes.map((prefix) => options.bucket.arnForObjects(`${prefix}*`)),
    }),
  );
  return role;
}
