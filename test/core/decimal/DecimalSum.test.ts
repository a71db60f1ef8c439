import { describe, expect, it } from 'vitest';
import { DecimalSum } from '../../../core/decimal/DecimalSum.js';
import { seededRandom } from '../../helpers/seededRandom.js';

/** The exact sum of decimals written as text, by BigInt long addition: a reference apart from DecimalSum. */
function referenceSum(values: readonly number[]): string {
  let scale = 0;
  let units = 0n;
  for (const value of values) {
    const [mantissa = '', exponent = '0'] = String(value).split('e');
    const [whole = '', fraction = ''] = mantissa.replace('-', '').split('.');
    let digits = BigInt(`${whole}${fraction}`);
    let places = fraction.length - Number(exponent);
    if (places < 0) {
      digits *= 10n ** BigInt(-places);
      places = 0;
    }
    if (mantissa.startsWith('-')) digits = -digits;
    if (places > scale) {
      units *= 10n ** BigInt(places - scale);
      scale = places;
    }
    units += digits * 10n ** BigInt(scale - places);
  }
  const negative = units < 0n;
  const text = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = text.slice(0, text.length - scale);
  const fraction = text.slice(text.length - scale).replace(/0+$/, '');
  const plain = fraction === '' ? whole : `${whole}.${fraction}`;
  return negative && plain !== '0' ? `-${plain}` : plain;
}

function sumOf(values: readonly number[]): string {
  const sum = new DecimalSum();
  for (const value of values) sum.add(value);
  return sum.toString();
}

describe('DecimalSum', () => {
  it('adds 0.1 and 0.2 to 0.3', () => {
    expect(sumOf([0.1, 0.2])).toBe('0.3');
    expect(0.1 + 0.2).not.toBe(0.3);
  });

  it('is 0 before anything is added, and for -0', () => {
    expect(new DecimalSum().toString()).toBe('0');
    expect(sumOf([-0])).toBe('0');
    expect(sumOf([0.25, -0.25])).toBe('0');
  });

  it('sums 10,000 two-decimal amounts to the exact total of their cents', () => {
    // Prepare
    const random = seededRandom(3);
    const amounts = Array.from({ length: 10_000 }, () => Math.round(random() * 50_000) / 100);
    const cents = amounts.reduce((total, amount) => total + BigInt(Math.round(amount * 100)), 0n);
    // Act
    const sum = sumOf(amounts);
    // Assess
    expect(sum).toBe(
      `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`.replace(/\.?0+$/, ''),
    );
    expect(String(amounts.reduce((a, b) => a + b, 0))).not.toBe(sum);
  });

  it('sums negative values and mixed scales exactly', () => {
    expect(sumOf([-1.25, 0.005, -3, 2.1])).toBe('-2.145');
    expect(sumOf([-0.1, -0.2])).toBe('-0.3');
    expect(sumOf([1e-12, 1e13])).toBe('10000000000000.000000000001');
  });

  it('sums large and small values as written when they have no fast scale', () => {
    expect(sumOf([1e21, 1])).toBe('1000000000000000000001');
    expect(sumOf([5e-324, 1])).toBe(`1.${'0'.repeat(323)}5`);
    expect(sumOf([0.30000000000000004, 0.1])).toBe('0.40000000000000004');
    expect(sumOf([-1.7976931348623157e308, 1.7976931348623157e308])).toBe('0');
  });

  it('moves to BigInt exactly when the scaled sum leaves the safe integers', () => {
    // Prepare: 2^53 - 1 units, the last a fast-path sum can hold
    const sum = new DecimalSum().add(9007199254740991);
    expect(sum.toString()).toBe('9007199254740991');
    // Act: one more unit, then one more, past what a double holds
    sum.add(1).add(1);
    // Assess
    expect(sum.toString()).toBe('9007199254740993');
    expect(9007199254740991 + 1 + 1).toBe(9007199254740992);
  });

  it('moves to BigInt when rescaling to more decimal places would leave the safe integers', () => {
    const sum = new DecimalSum().add(900719925474099).add(0.01);
    expect(sum.toString()).toBe('900719925474099.01');
    // 9007199254740991 thousandths is the last fast sum; the next thousandth goes to BigInt.
    expect(sumOf([9007199254740.99, 0.001])).toBe('9007199254740.991');
    expect(sumOf([9007199254740.99, 0.001, 0.001])).toBe('9007199254740.992');
  });

  it('keeps adding exactly once on the BigInt path, and adds decimal text', () => {
    const sum = new DecimalSum().add(9007199254740991).add(9007199254740991);
    sum.add(0.1).add(-0.05).addDecimal('1E+2').addDecimal('-0.050');
    expect(sum.toString()).toBe('18014398509482082');
  });

  it('uses a scale given by the caller as decimalScaleOf would', () => {
    expect(new DecimalSum().add(29.99, 2).add(0.01, 2).toString()).toBe('30');
  });

  it('equals a BigInt reference over 20,000 values of every kind, in running order', () => {
    // Prepare: cents, many-place decimals, full-precision doubles, huge and tiny, both signs
    const random = seededRandom(17);
    const draws = [
      () => Math.round((random() - 0.3) * 1e8) / 100,
      () => Math.round((random() - 0.5) * 1e15) / 1e6,
      () => (random() - 0.5) * 10 ** (Math.floor(random() * 30) - 15),
      () => Math.round(random() * 2 ** 53),
    ];
    const values = Array.from({ length: 20_000 }, (_, i) => (draws[i % 4] as () => number)());
    // Act / Assess: every 1,000 values, so both paths are compared along the way
    const sum = new DecimalSum();
    values.forEach((value, i) => {
      sum.add(value);
      if (i % 1_000 === 999) expect(sum.toString()).toBe(referenceSum(values.slice(0, i + 1)));
    });
  });

  it('throws a RangeError naming NaN and infinities', () => {
    expect(() => new DecimalSum().add(Number.NaN)).toThrow('not a finite number: NaN');
    expect(() => new DecimalSum().add(Number.POSITIVE_INFINITY)).toThrow('Infinity');
  });
});
