import { describe, expect, it } from 'vitest';
import { formatStatusLine } from '../../cli/formatStatusLine.js';
import type { PipelineStatus } from '../../local/startLocalPipeline.js';

const status: PipelineStatus = {
  produced: 6_620,
  aggregated: 7_025,
  rejected: 3,
  archivedEvents: 6_600,
  archiveObjects: 12,
  archiveConversionFailures: 0,
  sentToOnFailure: 1,
  iteratorLagMs: 1_250,
  directPutArchivedEvents: 40,
  faults: {
    dynamodbThrottles: 5,
    dynamodbServerErrors: 2,
    kinesisThrottles: 0,
    kinesisEntryFailures: 1,
    handlerCrashes: 1,
    handlerTimeouts: 0,
    duplicateDeliveries: 3,
  },
};

describe('formatStatusLine', () => {
  it('shows the records the archiver could not convert to Parquet once there are some', () => {
    expect(
      formatStatusLine(
        { ...status, archiveConversionFailures: 2 },
        { width: 500, demo: false, chaos: false },
      ),
    ).toContain('archived 6600 events in 12 objects · not convertible to Parquet 2 records');
  });

  it('names folds as including replays and the demo count as the demo’s, when wide enough', () => {
    expect(formatStatusLine(status, { width: 500, demo: true, chaos: false })).toBe(
      'folded 7025 events (replays incl.) · lag 1250 ms · rejected 3 · on-failure 1 records · ' +
        'archived 6600 events in 12 objects · demo sent 6620 · direct PUT archived 40',
    );
  });

  it('shows no demo count without the demo, so a load run does not read as "produced 0"', () => {
    expect(formatStatusLine(status, { width: 500, demo: false, chaos: false })).not.toMatch(
      /demo|produced/,
    );
  });

  it.each([80, 60, 40, 20])(
    'fits %i columns, keeping the fold count and the lag first',
    (width) => {
      const line = formatStatusLine(status, { width, demo: true, chaos: true });
      expect(line.length).toBeLessThanOrEqual(width);
      expect(line).not.toMatch(/\n|\r/);
      if (width >= 50) expect(line).toMatch(/^folded 7025 events \(replays incl\.\) · lag 1250 ms/);
    },
  );

  it('puts the injected faults third in chaos mode, summed over kinds', () => {
    const line = formatStatusLine(status, { width: 80, demo: true, chaos: true });
    expect(line).toBe('folded 7025 events (replays incl.) · lag 1250 ms · faults injected 12');
  });

  it('cuts the first segment rather than wrap on a very narrow terminal', () => {
    expect(formatStatusLine(status, { width: 10, demo: false, chaos: false })).toBe('folded 70…');
  });
});
