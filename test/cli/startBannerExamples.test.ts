import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startBannerExamples } from '../../cli/startBannerExamples.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { loadConfig } from '../../core/config/loadConfig.js';

const URLS = { dynamodb: 'http://127.0.0.1:4568', ingest: 'http://127.0.0.1:8080/ingest' };

/** The configuration with another first metric and, optionally, no sample events. */
function configWith(firstMetric: string, withSamples: boolean): StreamfoldConfig {
  const config = loadConfig();
  const metrics = [
    ...config.metrics.filter((m) => m.name === firstMetric),
    ...config.metrics.filter((m) => m.name !== firstMetric),
  ];
  const { sampleEvents, ...rest } = config;
  return { ...rest, metrics, ...(withSamples && sampleEvents ? { sampleEvents } : {}) };
}

/** What `sh` makes of the `-d '…'` argument of the curl example. */
function postedBody(curl: string[]): unknown {
  const quoted = (curl[1] ?? '').trim().replace(/^-d /, '');
  const text = execFileSync('sh', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' });
  return JSON.parse(text);
}

describe('startBannerExamples', () => {
  it('reads a group of the first metric that a sample event falls in', () => {
    // Act
    const examples = startBannerExamples(configWith('revenue', true), URLS);

    // Assess
    expect(examples.dynamodb[0]).toBe(
      `  aws --endpoint-url ${URLS.dynamodb} dynamodb query --table-name streamfold-aggregates \\`,
    );
    expect(examples.dynamodb[1]).toMatch(
      /--expression-attribute-values '\{":pk":\{"S":"revenue#country=[A-Z]{2}"\}\}'$/,
    );
  });

  it('posts one event of the catalog that the shell passes on as JSON, with the time of now', () => {
    // Act
    const examples = startBannerExamples(configWith('revenue', true), URLS);

    // Assess
    expect(examples.curl[0]).toBe(
      `  curl -sS -X POST ${URLS.ingest} -H 'content-type: application/json' \\`,
    );
    const [event] = postedBody(examples.curl) as Record<string, unknown>[];
    expect(event).toMatchObject({ id: 'e-1', source: 'curl' });
    expect(Object.keys(loadConfig().catalog)).toContain(event?.type);
    expect(event?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('without sample events, scans for a grouped metric and says why there is no curl example', () => {
    // Act
    const examples = startBannerExamples(configWith('revenue', false), URLS);

    // Assess
    expect(examples.dynamodb).toEqual([
      `  aws --endpoint-url ${URLS.dynamodb} dynamodb scan --table-name streamfold-aggregates --max-items 5`,
    ]);
    expect(examples.curl.join('\n')).toContain('the configuration declares no sampleEvents');
    expect(examples.curl.join('\n')).toContain('page_view, add_to_cart, purchase');
  });

  it('reads the one group * of a metric without groupBy, sample events or not', () => {
    // Prepare
    const config = configWith('revenue', false);
    const ungrouped = {
      ...config,
      metrics: config.metrics.map((m, i) => (i === 0 ? { ...m, groupBy: [] } : m)),
    };

    // Act
    const examples = startBannerExamples(ungrouped, URLS);

    // Assess
    expect(examples.dynamodb[1]).toContain('"S":"revenue#*"');
  });
});
