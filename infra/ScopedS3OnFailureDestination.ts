import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * An S3 on-failure destination for a stream event source mapping that grants the
 * function only what Lambda needs to write there: `s3:PutObject` under the key
 * prefix Lambda uses and `s3:ListBucket` on the bucket.
 *
 * `S3OnFailureDestination` from aws-lambda-event-sources produces the same
 * `DestinationConfig` but grants `bucket.grantReadWrite`, which includes
 * `s3:DeleteObject*` and `s3:GetObject*` on every key: the function could then
 * read or delete the rejects that share the bucket.
 *
 * @example
 * new KinesisEventSource(stream, { ..., onFailure: new ScopedS3OnFailureDestination(bucket, 'aws/lambda/') });
 */
export class ScopedS3OnFailureDestination implements lambda.IEventSourceDlq {
  readonly #bucket: s3.IBucket;
  readonly #keyPrefix: string;

  /**
   * @param bucket the destination bucket
   * @param keyPrefix where Lambda writes on-failure objects (`aws/lambda/`)
   */
  public constructor(bucket: s3.IBucket, keyPrefix: string) {
    if (!keyPrefix.endsWith('/')) {
      throw new Error(`on-failure keyPrefix must end with "/" (given "${keyPrefix}")`);
    }
    this.#bucket = bucket;
    this.#keyPrefix = keyPrefix;
  }

  /** Grants the function's role the two permissions and returns the bucket as destination. */
  public bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction) {
    // Documented requirement for S3 destinations of stream event source mappings.
    iam.Grant.addToPrincipal({
      grantee: targetHandler,
      actions: ['s3:PutObject'],
      resourceArns: [this.#bucket.arnForObjects(`${this.#keyPrefix}*`)],
    });
    iam.Grant.addToPrincipal({
      grantee: targetHandler,
      actions: ['s3:ListBucket'],
      resourceArns: [this.#bucket.bucketArn],
    });
    return { destination: this.#bucket.bucketArn };
  }
}
