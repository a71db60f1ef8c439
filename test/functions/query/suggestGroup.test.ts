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
    ['country=DR', 'country=DE'],
    ['contry=FR', 'country=FR'],
    ['__othr__', '__other__'],
  ])('suggests for %j the group %s', (given, want) => {
    expect(suggestGroup(given, KNOWN)).toBe(want);
  });

  it('prefers the earlier of two equally close groups', () => {
    expect(suggestGroup('country=UK', ['country=US', 'country=UA'])).toBe('country=US');
    expect(suggestGroup('country=UK', ['country=UA', 'country=US'])).toBe('country=UA');
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
