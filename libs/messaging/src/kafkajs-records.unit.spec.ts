import { createRequire } from 'node:module';
import * as fc from 'fast-check';
import { patchKafkajsRecords, recordsPatchedKafkajsVersion } from './kafkajs-records';

const requireHere = createRequire(__filename);

type Encoded = { buffer: Buffer };
interface DecoderLike {
  readVarInt(): number;
}
interface Kafkajs {
  Record: (record: object) => Encoded;
  decodeRecord: (decoder: DecoderLike, batchContext: object) => Record<string, unknown>;
  Decoder: new (buffer: Buffer) => DecoderLike;
  Encoder: {
    new (): Encoded & {
      writeVarLong(value: unknown): Encoded;
      writeVarInt(value: number): Encoded;
    };
    sizeOfVarLong(value: unknown): number;
  };
  RecordBatch: (options: object) => Promise<Encoded>;
}

const load = (): Kafkajs => ({
  Record: requireHere('kafkajs/src/protocol/recordBatch/record/v0') as Kafkajs['Record'],
  decodeRecord: requireHere(
    'kafkajs/src/protocol/recordBatch/record/v0/decoder',
  ) as Kafkajs['decodeRecord'],
  Decoder: requireHere('kafkajs/src/protocol/decoder') as Kafkajs['Decoder'],
  Encoder: requireHere('kafkajs/src/protocol/encoder') as Kafkajs['Encoder'],
  RecordBatch: (
    requireHere('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: Kafkajs['RecordBatch'] }
  ).RecordBatch,
});

// kafkajs as shipped: a module registry of its own, loaded before anything here patched it.
let shipped!: Kafkajs;
jest.isolateModules(() => {
  shipped = load();
});
const Long = requireHere('kafkajs/src/utils/long') as { fromString(value: string): unknown };

// Compared as hex: toEqual walks a 70 KB Buffer byte by byte.
const hex = (encoded: Encoded) => encoded.buffer.toString('hex');

// Values past the encoders' first 512 bytes and past a two-byte length (16 KiB) included.
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ minLength: 600, maxLength: 700 }),
);
const bytes = fc.oneof(
  text,
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.nat(255).map((n) => Buffer.alloc(70_000 + n, n)),
);
const headerValue = fc.oneof(
  text,
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
);
// Header keys kafkajs' own objects treat specially, and repeated keys (an array value).
const headerKey = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'toString', 'event-id'));
const headers = fc
  .array(fc.tuple(headerKey, fc.oneof(headerValue, fc.array(headerValue))), { maxLength: 8 })
  .map((pairs) => {
    const object: Record<string, unknown> = {};
    for (const [key, value] of pairs) {
      Object.defineProperty(object, key, { value, enumerable: true, configurable: true });
    }
    return object;
  });
const record = fc.record(
  {
    offsetDelta: fc.oneof(fc.nat(1_000), fc.integer()),
    timestampDelta: fc.oneof(
      fc.integer({ min: -5_000, max: 5_000 }),
      fc.integer(),
      fc.integer({ min: 2 ** 31, max: 2 ** 52 }),
      fc.integer({ min: -(2 ** 52), max: -(2 ** 31) - 1 }),
    ),
    key: fc.option(bytes),
    value: fc.option(bytes),
    headers,
  },
  { requiredKeys: ['key', 'value'] },
);
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
const batchContext = fc.record({
  firstOffset: fc.oneof(fc.nat(10_000_000).map(String), int64),
  firstTimestamp: fc.oneof(
    fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }).map(String),
    fc.constant('-1'),
    int64,
  ),
  maxTimestamp: fc.oneof(fc.constant('1764000000000'), int64),
  magicByte: fc.constant(2),
  isControlBatch: fc.boolean(),
  timestampType: fc.constantFrom(0, 1),
});

/** A decoded record with its Buffers as hex and its headers' prototype made visible. */
function plain(decoded: Record<string, unknown>) {
  const value = (v: unknown): unknown =>
    Buffer.isBuffer(v) ? v.toString('hex') : Array.isArray(v) ? v.map(value) : v;
  const headers = decoded.headers as Record<string, unknown>;
  return {
    ...decoded,
    key: value(decoded.key),
    value: value(decoded.value),
    headers: Object.getOwnPropertyNames(headers).map((k) => [k, value(headers[k])]),
    headersPrototype: Object.getPrototypeOf(headers),
  };
}

describe('kafkajs record codecs (patched)', () => {
  beforeAll(() => expect(patchKafkajsRecords()).toBe(true));
  const patched = load;

  it('is written for the installed kafkajs (an upgrade must review or drop the patch)', () => {
    const { version } = requireHere('kafkajs/package.json') as { version: string };
    expect(version).toBe(recordsPatchedKafkajsVersion);
    expect(patched().Record).not.toBe(shipped.Record);
    expect(patched().decodeRecord).not.toBe(shipped.decodeRecord);
  });

  it('writes the bytes kafkajs writes for any record', () => {
    fc.assert(
      fc.property(record, (input) => {
        expect(hex(patched().Record(input))).toBe(hex(shipped.Record(input)));
      }),
      { numRuns: 500 },
    );
  });

  it('writes the bytes kafkajs writes for any varlong and varint', () => {
    const { Encoder } = patched();
    const varlong = fc.oneof(
      fc.integer(),
      fc.maxSafeInteger(),
      fc.constantFrom(0, -0, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1),
      int64.map((n) => Long.fromString(n)),
      fc.integer().map(String),
    );
    fc.assert(
      fc.property(varlong, fc.integer(), (long, int) => {
        expect(hex(new Encoder().writeVarLong(long))).toBe(
          hex(new shipped.Encoder().writeVarLong(long)),
        );
        expect(Encoder.sizeOfVarLong(long)).toBe(shipped.Encoder.sizeOfVarLong(long));
        expect(hex(new Encoder().writeVarInt(int))).toBe(
          hex(new shipped.Encoder().writeVarInt(int)),
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads the record kafkajs reads from any record bytes', () => {
    fc.assert(
      fc.property(record, batchContext, (input, context) => {
        const bytes = shipped.Record(input).buffer;
        const read = ({ Decoder, decodeRecord }: Kafkajs) => {
          const decoder = new Decoder(bytes);
          decoder.readVarInt(); // the record's length, read by the batch decoder
          return plain(decodeRecord(decoder, context));
        };
        expect(read(patched())).toStrictEqual(read(shipped));
      }),
      { numRuns: 500 },
    );
  });

  it('makes the record batch kafkajs makes, CRC included', async () => {
    // A relay's batch: the accounts events topic's five headers on every message.
    const messages = Array.from({ length: 300 }, (_, i) => ({
      key: `member-${i}`,
      value: JSON.stringify({ eventId: `member-${i}/1`, type: 'points.earned', points: i }),
      headers: {
        'event-id': `member-${i}/1`,
        'event-type': 'points.earned',
        'global-position': String(1_000_000 + i),
        'stream-id': `member-${i}`,
        'stream-position': '1',
      },
    }));
    const batch = async ({ Record, RecordBatch }: Kafkajs) =>
      (
        await RecordBatch({
          firstTimestamp: 1_764_000_000_000,
          maxTimestamp: 1_764_000_000_000,
          lastOffsetDelta: messages.length - 1,
          records: messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: i })),
        })
      ).buffer.toString('hex');
    expect(await batch(patched())).toBe(await batch(shipped));
  });

  it('leaves kafkajs as it is once a producer or a consumer has used its codecs', () => {
    for (const user of [
      'kafkajs/src/protocol/requests/produce/v3/request',
      'kafkajs/src/protocol/recordBatch/v0/decoder',
    ]) {
      jest.isolateModules(() => {
        requireHere(user);
        const isolated = requireHere('./kafkajs-records') as typeof import('./kafkajs-records');
        expect(isolated.patchKafkajsRecords()).toBe(false);
      });
    }
  });
});
