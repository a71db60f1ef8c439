import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../../cli/didYouMean.js';

describe('editDistance', () => {
  it.each([
    ['window', 'window', 0],
    ['windw', 'window', 1],
    ['quik', 'quick', 1],
    ['strat', 'start', 1],
    ['handlr', 'handler', 1],
    ['', 'abc', 3],
  ])('counts %s → %s as %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});

describe('didYouMean', () => {
  const metrics = ['events', 'revenue', 'cart_quantity', 'page_views'];

  it.each([
    ['windw', ['window', 'since', 'until', 'group'], 'window'],
    ['strat', ['start', 'load', 'query', 'archive'], 'start'],
    ['handlr', ['pipeline', 'handler', 'bundle'], 'handler'],
    ['revenu', metrics, 'revenue'],
    ['cart_value', metrics, 'cart_quantity'],
    ['page_view', metrics, 'page_views'],
  ])('suggests for %s the close candidate', (given, candidates, expected) => {
    expect(didYouMean(given, candidates)).toBe(expected);
  });

  it('suggests nothing when no candidate is close, or two share the word', () => {
    expect(didYouMean('bogus', ['window', 'since'])).toBeUndefined();
    expect(didYouMean('x', ['load', 'query'])).toBeUndefined();
    expect(didYouMean('cart_value', ['cart_quantity', 'cart_items'])).toBeUndefined();
  });
});
