import { type CfnElement, Stack } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * The id cdk-nag gives the IAM5 finding for a policy resource
 * `arn:...:<bucket>/<keyPattern>`, for `Validations.of(...).acknowledge()`.
 * cdk-nag 3 acknowledges findings one by one, so the id must be exact.
 *
 * @example
 * objectWildcardFinding(bucket, 'rejects/*'); // 'AwsSolutions-IAM5[Resource::<RejectsBucket1234.Arn>/rejects/*]'
 */
export function objectWildcardFinding(bucket: s3.IBucket, keyPattern: string): string {
  const element = bucket.node.defaultChild as CfnElement;
  const logicalId: unknown = Stack.of(bucket).resolve(element.logicalId);
  return `AwsSolutions-IAM5[Resource::<${String(logicalId)}.Arn>/${keyPattern}]`;
}
