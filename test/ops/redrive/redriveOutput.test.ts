import { describe, expect, it } from 'vitest';
import type { RedriveSummary } from '../../../ops/redrive/redriveFailures.js';
import { describeOutcome, formatSummary } from '../../../ops/redrive/runRedriveCommand.js';
import { terminalControlsIn } from '../../helpers/terminalControls.js';

const HOSTILE_KEY = 'aws/lambda/\u001b]0;pwned\u0007.json';
const HOSTILE_ERROR = 'refused: "\u009b2J"\nsecond line \u202Egnp';

describe('redrive output', () => {
  it('writes a progress line with the object key and error escaped, on one line', () => {
    // Act
    const line = describeOutcome({
      key: HOSTILE_KEY,
      status: 'failed',
      records: 0,
      bytes: 0,
      error: HOSTILE_ERROR,
    });

    // Assess
    expect(terminalControlsIn(line)).toEqual([]);
    expect(line).not.toContain('\n');
    expect(line).toBe(
      'aws/lambda/\\u001b]0;pwned\\u0007.json: FAILED, skipped: refused: "\\u009b2J"\\nsecond line \\u202egnp',
    );
  });

  it('writes the summary with failed keys and errors escaped', () => {
    // Prepare
    const summary: RedriveSummary = {
      objects: [{ key: HOSTILE_KEY, status: 'failed', records: 0, bytes: 0, error: HOSTILE_ERROR }],
      outsideWindow: 0,
      redriven: 0,
      wouldRedrive: 0,
      alreadyRedriven: 0,
      failed: 1,
      records: 0,
      bytes: 0,
      eventsFolded: 0,
      shards: ['shardId-\u001b[2K'],
    };

    // Act
    const text = formatSummary(summary, false);

    // Assess
    expect(terminalControlsIn(text)).toEqual([]);
    expect(text.split('\n')).toHaveLength(5);
    expect(text).toContain(
      '  aws/lambda/\\u001b]0;pwned\\u0007.json: refused: "\\u009b2J"\\nsecond',
    );
  });
});
