import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Size of a DynamoDB item in bytes by the rules of the Developer Guide
 * ("Item sizes and formats"): attribute names count their UTF-8 bytes;
 * strings their UTF-8 bytes; numbers 1 byte plus 1 per two significant digits;
 * binary its bytes; sets the sum of their members; maps and lists 3 bytes plus
 * 1 per element plus their contents; booleans and null 1 byte.
 */
export function dynamoItemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  }
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.SS !== undefined) return value.SS.reduce((s, v) => s + Buffer.byteLength(v), 0);
  if (value.NS !== undefined) return value.NS.reduce((s, v) => s + numberSize(v), 0);
  if (value.BS !== undefined) return value.BS.reduce((s, v) => s + v.length, 0);
  if (value.M !== undefined) {
    return Object.entries(value.M).reduce(
      (s, [k, v]) => s + 1 + Buffer.byteLength(k, 'utf8') + valueSize(v),
      3,
    );
  }
  if (value.L !== undefined) return value.L.reduce((s, v) => s + 1 + valueSize(v), 3);
  return 1; // BOOL, NULL
}

function numberSize(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '');
  const significant = digits.replace(/^0+/, '').replace(/0+$/, '');
  return 1 + Math.ceil(Math.max(1, significant.length) / 2);
}
