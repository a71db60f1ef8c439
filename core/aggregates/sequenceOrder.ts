/**
 * Turns a Kinesis sequence number (a decimal string of up to 129 digits) into a
 * key that sorts as the number does: its length in three digits, then the
 * digits. Lexicographic comparison of these keys, in memory or in a DynamoDB
 * condition, equals numeric comparison of the sequence numbers.
 *
 * @example
 * sequenceOrderKey('9') < sequenceOrderKey('10'); // true
 */
export function sequenceOrderKey(sequenceNumber: string): string {
  return `${sequenceNumber.length.toString().padStart(3, '0')}${sequenceNumber}`;
}
