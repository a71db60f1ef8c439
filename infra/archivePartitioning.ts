import { staticRootOf } from '../core/codec/firehosePrefix.js';

/** A partition key of the archive, read from one segment of the Firehose prefix. */
export interface ArchivePartitionKey {
  /** Column name, the text before `=` in the segment (`year`). */
  name: string;
  /** Java date pattern inside `!{timestamp:...}` (`yyyy`). */
  pattern: string;
}

/** How the archive is laid out in S3, derived from `archive.prefix`. */
export interface ArchivePartitioning {
  /** The prefix up to the first expression (`events/`): the table's location. */
  rootPrefix: string;
  /** One key per `name=!{timestamp:pattern}` segment, in path order. */
  keys: ArchivePartitionKey[];
  /**
   * The prefix with each expression replaced by `${name}`, as Athena's
   * `storage.location.template` wants it (without the bucket).
   */
  locationTemplate: string;
}

const EXPRESSION = /!\{([a-z]+):([^}]*)\}/;

/** Re-exported: the static folder of a prefix expression is shared with the configuration checks. */
export { staticRootOf };

const KEY_SEGMENT = /^([a-z_][a-z0-9_]*)=!\{timestamp:([^}]+)\}$/;

/**
 * Derives the archive's partition keys from the Firehose prefix expression, so
 * the Glue table reads exactly the layout Firehose writes.
 *
 * @throws {Error} naming `archive.prefix` when it cannot be projected: every
 *   expression must fill a whole `name=!{timestamp:pattern}` segment after a
 *   static root
 * @example
 * archivePartitioning('events/year=!{timestamp:yyyy}/');
 * // { rootPrefix: 'events/', keys: [{ name: 'year', pattern: 'yyyy' }],
 * //   locationTemplate: 'events/year=${year}/' }
 */
export function archivePartitioning(prefix: string): ArchivePartitioning {
  const rootPrefix = staticRootOf(prefix);
  if (!rootPrefix.endsWith('/') || rootPrefix === '/') {
    throw new Error(
      `archive.prefix must start with a static folder such as "events/" before any expression (given "${prefix}")`,
    );
  }
  const keys: ArchivePartitionKey[] = [];
  const templateSegments: string[] = [];
  const dynamic = prefix.slice(rootPrefix.length);
  for (const segment of dynamic.split('/')) {
    if (!EXPRESSION.test(segment)) {
      templateSegments.push(segment);
      continue;
    }
    const match = KEY_SEGMENT.exec(segment);
    if (!match?.[1] || !match[2]) {
      throw new Error(
        `archive.prefix segment "${segment}" must have the form name=!{timestamp:pattern} so the table can project it (given "${prefix}")`,
      );
    }
    const [, name, pattern] = match;
    if (keys.some((key) => key.name === name)) {
      throw new Error(`archive.prefix names partition "${name}" twice (given "${prefix}")`);
    }
    keys.push({ name, pattern });
    templateSegments.push(`${name}=\${${name}}`);
  }
  return { rootPrefix, keys, locationTemplate: `${rootPrefix}${templateSegments.join('/')}` };
}
