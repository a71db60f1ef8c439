import { describe, expect, it } from 'vitest';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';

describe('sequenceOrderKey', () => {
  it('prefixes the length in three digits when building the key', () => {
    expect(sequenceOrderKey('42')).toBe('00242');
  });

  it.each([
    { lower: '9', higher: '10' },
    { lower: '99', higher: '100' },
    { lower: '2', higher: '11' },
    {
      lower: '49590338271490256608559692538361571095921575989136588898',
      higher: `1${'0'.repeat(56)}`,
    },
    { lower: '9'.repeat(128), higher: `1${'0'.repeat(128)}` },
  ])('orders $lower before $higher when their lengths differ', ({ lower, higher }) => {
    // Act / Assess
    expect(sequenceOrderKey(lower) < sequenceOrderKey(higher)).toBe(true);
  });

  it('sorts like numbers when many sequence numbers of mixed lengths are compared', () => {
    // Prepare
    const numbers = [
      '7',
      '1000',
      '49590338271490256608559692538361571095921575989136588898',
      '49590338271490256608559692538361571095921575989136588899',
      '999',
      '12',
      '0',
      `${'9'.repeat(80)}`,
      '100000000000000000000000000000000000000000000000000000000',
    ];

    // Act
    const byKey = [...numbers].sort((a, b) =>
      sequenceOrderKey(a) < sequenceOrderKey(b)
        ? -1
        : sequenceOrderKey(a) > sequenceOrderKey(b)
          ? 1
          : 0,
    );

    // Assess
    const byValue = [...numbers].sort((a, b) =>
      BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0,
    );
    expect(byKey).toEqual(byValue);
  });
});
