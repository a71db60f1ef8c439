import { aggregatePartitionKey } from '../core/aggregates/aggregateKey.js';
import { ALL_GROUP, compileMetrics } from '../core/aggregates/compileMetrics.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import type { StreamfoldEvent } from '../core/events/envelope.js';

/** Sample events drawn to find one the first metric counts: the demo mixes types. */
const SAMPLES = 200;

/** Stands for the event time in the curl example, until the shell's `date` replaces it. */
const TIME_MARK = '__time__';

/** The command lines of the `streamfold start` banner that depend on the catalog. */
export interface StartBannerExamples {
  /** The aws CLI lines that read some aggregates of the first metric. */
  dynamodb: string[];
  /** The curl lines that post one event, or a note saying why there are none. */
  curl: string[];
}

/**
 * Builds the banner's examples from the configuration, so that they work with
 * any catalog: the aws CLI reads the items of the first metric, in a group
 * that a sample event falls in (`revenue#country=DE`), or its one group `*`;
 * curl posts one event made by `config.sampleEvents`. Without sample events a
 * grouped metric's groups are not known before events arrive, so the aws CLI
 * scans a few items instead, and the curl example is a note.
 *
 * @example
 * startBannerExamples(config, { dynamodb: 'http://127.0.0.1:4568', ingest: 'http://127.0.0.1:8080/ingest' });
 */
export function startBannerExamples(
  config: StreamfoldConfig,
  urls: { dynamodb: string; ingest: string },
): StartBannerExamples {
  const next = config.sampleEvents?.({ source: 'curl' });
  const samples: StreamfoldEvent[] = next ? Array.from({ length: SAMPLES }, () => next()) : [];
  const [metric] = compileMetrics(config);
  const counted = metric && samples.find((event) => metric.types.has(event.type));
  const group =
    metric === undefined
      ? undefined
      : metric.groupBy.length === 0
        ? ALL_GROUP
        : counted && metric.groupOf(counted);
  const table = `aws --endpoint-url ${urls.dynamodb} dynamodb`;
  const dynamodb =
    metric !== undefined && group !== undefined
      ? [
          `  ${table} query --table-name ${config.table.name} \\`,
          `      --key-condition-expression 'pk = :pk' --expression-attribute-values '${shellQuoted(
            JSON.stringify({ ':pk': { S: aggregatePartitionKey(metric.name, group) } }),
          )}'`,
        ]
      : [`  ${table} scan --table-name ${config.table.name} --max-items 5`];
  const [first] = samples;
  if (first === undefined) {
    return {
      dynamodb,
      curl: [
        `  (no example: the configuration declares no sampleEvents; POST ${urls.ingest} takes a JSON`,
        `  array of events {id, type, time, source, data} of the types ${Object.keys(config.catalog).join(', ')})`,
      ],
    };
  }
  // Quoted for the shell first: the time is the one part meant to leave the quotes.
  const event = shellQuoted(JSON.stringify([{ ...first, id: 'e-1', time: TIME_MARK }])).replace(
    `"${TIME_MARK}"`,
    `"'$(date -u +%Y-%m-%dT%H:%M:%SZ)'"`,
  );
  return {
    dynamodb,
    curl: [
      `  curl -sS -X POST ${urls.ingest} -H 'content-type: application/json' \\`,
      `      -d '${event}'`,
    ],
  };
}

/** `text` to go between single quotes in a POSIX shell: each `'` closes, escapes and reopens. */
function shellQuoted(text: string): string {
  return text.replaceAll("'", "'\\''");
}
