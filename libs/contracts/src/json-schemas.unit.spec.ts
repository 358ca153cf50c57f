import * as fs from 'node:fs';
import * as path from 'node:path';
import { inboundSchemas, serialise } from './json-schemas';

describe('the published JSON Schemas', () => {
  it.each(Object.entries(inboundSchemas()))(
    'docs/schemas/%s matches the DTOs (run `npm run contract:schemas` after changing them)',
    (file, schema) => {
      const committed = fs.readFileSync(
        path.resolve(__dirname, '../../../docs/schemas', file),
        'utf8',
      );
      expect(committed).toBe(serialise(schema));
    },
  );

  it('describes the purchase fields the validator enforces', () => {
    const defs = inboundSchemas()['loyalty.inbound.v1.json'].$defs as Record<
      string,
      { required: string[] }
    >;
    expect(defs.PurchaseCompletedData.required).toEqual(
      expect.arrayContaining(['memberId', 'orderId', 'amountMinor', 'currency']),
    );
  });
});
