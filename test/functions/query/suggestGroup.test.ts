import { describe, expect, it } from 'vitest';
import { suggestGroup } from '../../../functions/query/suggestGroup.js';

const KNOWN = ['country=DE', 'country=FR', 'country=United%20States', 'country=US', '__other__'];

describe('suggestGroup', () => {
  it.each([
    ['DE', 'country=DE'],
    ['de', 'country=DE'],
    ['Country=fr', 'country=FR'],
    ['United States', 'country=United%20States'],
    ['country=United States', 'country=United%20States'],
    ['country=DEE', 'country=DE'],
    ['contry=FR', 'country=FR'],
    ['__othr__', '__other__'],
  ])('suggests for %j the group %s', (given, want) => {
    expect(suggestGroup(given, KNOWN)).toBe(want);
  });

  it('suggests nothing when two groups are equally close', () => {
    expect(suggestGroup('country=UK', ['country=US', 'country=UA'])).toBeUndefined();
    // D→E and R→F: one letter from country=DE and from country=FR alike.
    expect(suggestGroup('country=DR', KNOWN)).toBeUndefined();
    expect(suggestGroup('country=XX', KNOWN)).toBeUndefined();
  });

  it('suggests nothing for a value that several groups hold', () => {
    expect(
      suggestGroup('DE', ['country=DE,device=desktop', 'country=DE,device=mobile']),
    ).toBeUndefined();
  });

  it.each([['JP'], ['device=mobile'], ['%E0%A4%A']])('suggests nothing for %j', (given) => {
    expect(suggestGroup(given, KNOWN)).toBeUndefined();
  });

  it('matches a value of a group of several fields', () => {
    expect(suggestGroup('mobile', ['country=DE,device=desktop', 'country=DE,device=mobile'])).toBe(
      'country=DE,device=mobile',
    );
  });
});
