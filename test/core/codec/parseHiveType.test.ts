import { describe, expect, it } from 'vitest';
import { parseHiveType } from '../../../core/codec/parseHiveType.js';
import { duckdbTypeOf } from '../../../ops/archive/duckdbTypeOf.js';

describe('parseHiveType', () => {
  it('reads nested arrays, maps and structs', () => {
    expect(parseHiveType('struct<a:array<string>,m:map<string,double>>')).toEqual({
      kind: 'struct',
      fields: new Map<string, unknown>([
        ['a', { kind: 'array', element: { kind: 'primitive', name: 'string' } }],
        [
          'm',
          {
            kind: 'map',
            key: { kind: 'primitive', name: 'string' },
            value: { kind: 'primitive', name: 'double' },
          },
        ],
      ]),
    });
  });

  it.each([
    ['array<string', 'expected ">" at character 12'],
    ['string>', 'unexpected text after the type at character 6'],
    ['struct<:int>', 'expected a name at character 7'],
  ])('refuses %j, saying where', (text, problem) => {
    expect(() => parseHiveType(text)).toThrow(`archive column type "${text}": ${problem}`);
  });

  it('is what duckdbTypeOf renders, map keys included', () => {
    expect(duckdbTypeOf('map<string,array<bigint>>')).toBe('MAP(VARCHAR, BIGINT[])');
  });
});
