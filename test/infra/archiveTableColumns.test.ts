import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { archiveTableColumns } from '../../infra/archiveTableColumns.js';

describe('archiveTableColumns', () => {
  it('gives the envelope fields as columns and data as one struct when given the sample catalog', () => {
    // Act
    const columns = archiveTableColumns(webShopCatalog);

    // Assess
    expect(columns).toEqual([
      { name: 'id', type: 'string' },
      { name: 'type', type: 'string' },
      { name: 'time', type: 'string' },
      { name: 'source', type: 'string' },
      {
        name: 'data',
        type:
          'struct<path:string,country:string,device:string,durationms:bigint,sku:string,' +
          'category:string,quantity:bigint,price:double,orderid:string,amount:double,' +
          'currency:string,items:bigint>',
      },
    ]);
  });

  it('maps nested objects, arrays, records, booleans and optionals when a catalog has them', () => {
    const catalog = {
      order: z.object({
        lines: z.array(z.object({ sku: z.string(), qty: z.number().int() })),
        tags: z.record(z.string(), z.string()),
        gift: z.boolean().optional(),
        ratio: z.number().nullable(),
      }),
    };

    const data = archiveTableColumns(catalog).find((column) => column.name === 'data');

    expect(data?.type).toBe(
      'struct<lines:array<struct<sku:string,qty:bigint>>,tags:map<string,string>,gift:boolean,ratio:double>',
    );
  });

  it('throws naming the field when two event types give it different types', () => {
    const catalog = {
      a: z.object({ size: z.string() }),
      b: z.object({ size: z.number() }),
    };

    expect(() => archiveTableColumns(catalog)).toThrow(
      'event catalog: data.size is double in "b" but string in "a"',
    );
  });

  it('throws naming the path when a schema has no column type', () => {
    const catalog = { a: z.object({ when: z.date() }) };

    expect(() => archiveTableColumns(catalog)).toThrow('event schema a.data.when');
  });
});
