const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * `a − b` computed exactly in decimal, for numbers written as DynamoDB and
 * `String(number)` write them (`42.5`, `-0.1`, `1e-7`, `1.5e+21`). Adding the
 * result to a stored `b` gives exactly `a`, where a binary floating-point
 * difference could leave `142.59999999999999` behind.
 *
 * @example
 * decimalDifference('142.6', '100.1'); // '42.5'
 */
export function decimalDifference(a: string, b: string): string {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  const units = x.units * 10n ** BigInt(scale - x.scale) - y.units * 10n ** BigInt(scale - y.scale);
  return formatDecimal(units, scale);
}

function parseDecimal(text: string): { units: bigint; scale: number } {
  const match = DECIMAL.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
  }
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  let units = BigInt(`${whole}${fraction}` || '0');
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: sign === '-' ? -units : units, scale };
}

function formatDecimal(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  const text = fraction === '' ? whole : `${whole}.${fraction}`;
  return negative && text !== '0' ? `-${text}` : text;
}
