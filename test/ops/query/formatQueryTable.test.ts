import { describe, expect, it } from 'vitest';
import { formatQueryTable } from '../../../ops/query/formatQueryTable.js';
import { terminalControlsIn } from '../../helpers/terminalControls.js';

describe('formatQueryTable', () => {
  it('shows group values from events with their control characters escaped, aligned', () => {
    // Prepare
    const rows = [
      ['category=\u001b]0;pwned\u0007', 3],
      ['category=a\tb\nc', 12],
      ['category=\u202Egnp.exe', 1],
      ['category=\u009b2J\ud800', 2],
    ] as const;

    // Act
    const table = formatQueryTable(['group', 'count'], rows);

    // Assess
    expect(terminalControlsIn(table)).toEqual([]);
    expect(table.split('\n')).toEqual([
      'group                          count',
      '-----------------------------  -----',
      'category=\\u001b]0;pwned\\u0007      3',
      'category=a\\tb\\nc                  12',
      'category=\\u202egnp.exe             1',
      'category=\\u009b2J\\ud800            2',
    ]);
  });

  it('escapes a header from data too', () => {
    expect(formatQueryTable(['a\u001bb'], [[1]]).split('\n')[0]).toBe('a\\u001bb');
  });
});
