import type { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { BUCKET_DEFAULTS } from './defaults.js';

/** Options of {@link secureBucket}. */
export interface SecureBucketOptions {
  removalPolicy: RemovalPolicy;
  /** Empty the bucket when the stack deletes it; only meaningful with `RemovalPolicy.DESTROY`. */
  autoDeleteObjects: boolean;
  /**
   * Where S3 server access logs go.
   *
   * @default - no server access logs (only for the log bucket itself)
   */
  serverAccessLogsBucket?: s3.IBucket;
  /** Key prefix of this bucket's access logs in `serverAccessLogsBucket`. */
  serverAccessLogsPrefix?: string;
  /** @default false */
  versioned?: boolean;
  /** @default - only the rule that aborts incomplete multipart uploads */
  lifecycleRules?: s3.LifecycleRule[];
}

/**
 * A bucket with the settings every streamfold bucket shares (see
 * `BUCKET_DEFAULTS`): encrypted, private, TLS only, incomplete uploads aborted.
 * The name is left to CloudFormation, because bucket names are global and the
 * configuration's bucket names are only used by the local runtime.
 */
export function secureBucket(
  scope: Construct,
  id: string,
  options: SecureBucketOptions,
): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: BUCKET_DEFAULTS.encryption,
    blockPublicAccess: BUCKET_DEFAULTS.blockPublicAccess,
    enforceSSL: BUCKET_DEFAULTS.enforceSSL,
    minimumTLSVersion: BUCKET_DEFAULTS.minimumTLSVersion,
    versioned: options.versioned ?? false,
    serverAccessLogsBucket: options.serverAccessLogsBucket,
    serverAccessLogsPrefix: options.serverAccessLogsPrefix,
    removalPolicy: options.removalPolicy,
    autoDeleteObjects: options.autoDeleteObjects,
    lifecycleRules: [
      {
        id: 'abort-incomplete-multipart-uploads',
        abortIncompleteMultipartUploadAfter: BUCKET_DEFAULTS.abortIncompleteMultipartUploadAfter,
      },
      ...(options.lifecycleRules ?? []),
    ],
  });
}
