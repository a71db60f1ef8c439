/**
 * The trust statement of a Firehose delivery role, as the template renders it for the
 * delivery stream `deliveryStreamName` of the stack's own account and region.
 *
 * The Firehose developer guide ("Allow Firehose to assume an IAM role",
 * https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html) gives the trust
 * policy `{ "Effect": "Allow", "Principal": { "Service": "firehose.amazonaws.com" },
 * "Action": "sts:AssumeRole" }`. The two conditions follow AWS's cross-service confused
 * deputy guidance, for example "Cross-service confused deputy prevention" of AWS IoT
 * (https://docs.aws.amazon.com/iot/latest/developerguide/cross-service-confused-deputy-prevention.html):
 * "we recommend using the aws:SourceArn and aws:SourceAccount global condition context keys
 * [...]. If you use both global condition context keys, the aws:SourceAccount value and the
 * account in the aws:SourceArn value must use the same account ID when used in the same
 * policy statement." AWS End User Messaging's role for a Firehose destination
 * (https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-kinesis-creating-role.html)
 * has the same shape: "Condition": { "StringEquals": { "aws:SourceAccount": "111122223333" },
 * "ArnLike": { "aws:SourceArn": "arn:aws:sms-voice:...:configuration-set/ConfigSetName" } }.
 * Here both come from the stack's own AWS::AccountId, and the ARN is the one stream's.
 */
export function firehoseTrustStatement(deliveryStreamName: string) {
  return {
    Action: 'sts:AssumeRole',
    Condition: {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnEquals: {
        'aws:SourceArn': {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':firehose:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              `:deliverystream/${deliveryStreamName}`,
            ],
          ],
        },
      },
    },
    Effect: 'Allow',
    Principal: { Service: 'firehose.amazonaws.com' },
  };
}
