import { describe, expect, it } from 'vitest';
import { parquetRowsOf } from '../../../local/archiver/parquetRowsOf.js';

const COLUMNS = [
  { name: 'id', type: 'string' },
  { name: 'data', type: 'struct<orderid:string,amount:double,items:bigint,tags:array<string>>' },
];

const rowsOf = (text: string) => parquetRowsOf(Buffer.from(text), COLUMNS);

describe('parquetRowsOf', () => {
  it('makes a row of every NDJSON line, matching keys case-insensitively and dropping undeclared ones', () => {
    expect(
      rowsOf(
        '{"id":"a","data":{"orderId":"o","amount":1.5,"items":2,"extra":true}}\n\n{"ID":"b"}\n',
      ),
    ).toEqual({
      ok: true,
      rows: [
        { id: 'a', data: { orderid: 'o', amount: 1.5, items: 2, tags: null } },
        { id: 'b', data: null },
      ],
    });
  });

  it('reads a number or boolean given for a string column as its text', () => {
    expect(rowsOf('{"id":7}')).toEqual({ ok: true, rows: [{ id: '7', data: null }] });
  });

  describe.each([
    [
      'a line that is not JSON',
      '{"id":"a"}\n{"id":',
      'Firehose.FormatConversion.JsonParseFailed',
      'line 2',
    ],
    ['a JSON array', '[{"id":"a"}]', 'Firehose.FormatConversion.NotAnObject', 'line 1'],
    [
      'text for a double',
      '{"data":{"amount":"1"}}',
      'Firehose.FormatConversion.TypeMismatch',
      'data.amount',
    ],
    [
      'a fraction for a bigint',
      '{"data":{"items":1.5}}',
      'Firehose.FormatConversion.TypeMismatch',
      'data.items',
    ],
    ['an object for a string', '{"id":{"x":1}}', 'Firehose.FormatConversion.TypeMismatch', 'id'],
    [
      'a string for an array',
      '{"data":{"tags":"x"}}',
      'Firehose.FormatConversion.TypeMismatch',
      'data.tags',
    ],
  ])('fails the whole record for %s', (_case, text, errorCode, named) => {
    it('with the error code and where the value is', () => {
      const outcome = rowsOf(text);
      expect(outcome).toEqual({
        ok: false,
        errorCode,
        errorMessage: expect.stringContaining(named),
      });
    });
  });
});
