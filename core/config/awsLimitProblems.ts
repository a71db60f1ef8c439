import type { StreamfoldConfig } from './configSchema.js';

/**
 * The longest suffix the CDK stack appends to the stream, table and direct-PUT
 * delivery stream names (`-<stage>`, stages `dev` and `prod`; see
 * `infra/StreamfoldStack.ts` `resourceNames`). A name that fits with it fits
 * every stage.
 */
export const LONGEST_STAGE_SUFFIX = '-prod';

/** A name AWS limits in length, and the stack suffixes with the stage. */
interface StagedName {
  path: string;
  value: string;
  maxLength: number;
  service: string;
}

/**
 * Reserved prefixes and suffixes of S3 general purpose bucket names
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 */
const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'] as const;
const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3'] as const;

const IP_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * What AWS refuses in a configuration the schema's own ranges let through:
 * names too long once the stack appends the stage, and bucket names S3
 * reserves. Each problem names the setting and the value and says the AWS
 * rule, so the mistake is seen at load rather than at deploy.
 */
export function awsLimitProblems(config: StreamfoldConfig): string[] {
  return [...stagedNameProblems(config), ...bucketNameProblems(config)];
}

function stagedNameProblems(config: StreamfoldConfig): string[] {
  const names: StagedName[] = [
    {
      path: 'stream.name',
      value: config.stream.name,
      maxLength: 128,
      service: 'Kinesis stream names are 1-128 characters',
    },
    {
      path: 'table.name',
      value: config.table.name,
      maxLength: 255,
      service: 'DynamoDB table names are 3-255 characters',
    },
    {
      path: 'directPut.deliveryStreamName',
      value: config.directPut.deliveryStreamName,
      maxLength: 64,
      service: 'Firehose stream names are 1-64 characters',
    },
  ];
  const limit = LONGEST_STAGE_SUFFIX.length;
  return names
    .filter(({ value, maxLength }) => value.length + limit > maxLength)
    .map(
      ({ path, value, maxLength, service }) =>
        `${path}: must be at most ${maxLength - limit} characters: ${service} and the stack appends "${LONGEST_STAGE_SUFFIX}" on AWS (given "${value}", ${value.length} characters)`,
    );
}

function bucketNameProblems(config: StreamfoldConfig): string[] {
  const buckets = [
    ['archive.bucketName', config.archive.bucketName],
    ['rejects.bucketName', config.rejects.bucketName],
  ] as const;
  const problems: string[] = [];
  for (const [path, name] of buckets) {
    const rule = bucketNameRuleBroken(name);
    if (rule) problems.push(`${path}: S3 bucket names ${rule} (given "${name}")`);
  }
  return problems;
}

/** The S3 naming rule `name` breaks beyond length and characters (the schema checks those). */
function bucketNameRuleBroken(name: string): string | undefined {
  if (name.includes('..')) return 'must not contain two adjacent periods';
  if (IP_ADDRESS.test(name)) return 'must not be formatted as an IP address';
  const prefix = RESERVED_BUCKET_PREFIXES.find((reserved) => name.startsWith(reserved));
  if (prefix) return `must not start with the prefix ${prefix}`;
  const suffix = RESERVED_BUCKET_SUFFIXES.find((reserved) => name.endsWith(reserved));
  if (suffix) return `must not end with the suffix ${suffix}`;
  return undefined;
}
