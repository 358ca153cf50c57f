// kafkajs 2.2.4 encodes and decodes every record with a dozen or more small allocations of
// its own. Encoding: each varint is `Buffer.from([...bytes])`, each varlong goes through Long
// (BigInt) objects, and each record header gets an Encoder of its own, a zero-filled 512-byte
// Buffer copied into the record's. Decoding: each record parses its batch's first offset and
// first timestamp from decimal strings into BigInts to add its deltas, reads its timestamp
// delta through Long, and builds its headers object by copying it once per header. A message
// of the accounts events topic (five headers) cost about 25 allocations each way. Measured on
// this machine: in the outbox relay's thread at 5,000 purchases/s, kafkajs' encoding was 26%
// of its busy time, new Buffers 7% and garbage collection 27%; encoding a relay's request cost
// 19 µs of CPU a message (BENCHMARKS.md, twelfth session).
//
// This patch writes and reads the same bytes and values without those allocations: varints
// straight into the encoder's buffer, varlongs of int32 values without Long, a record with its
// headers in one encoder of the record's size; offsets and timestamps added as numbers while
// they are safe integers, headers gathered in one object. Every other value takes kafkajs' own
// path. It applies to kafkajs 2.2.4 only (a unit test fails when the installed version
// changes, so an upgrade reviews it), and unit tests compare its bytes and records with
// kafkajs' own for many generated records.
import { createRequire } from 'node:module';

const requireFromHere = createRequire(__filename);

/** The kafkajs version this patch was written against and tested with. */
export const recordsPatchedKafkajsVersion = '2.2.4';

interface EncoderInternals {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeInt8(value: number): EncoderInternals;
  writeUVarInt(value: number): EncoderInternals;
  writeVarInt(value: number): EncoderInternals;
  writeVarLong(value: unknown): EncoderInternals;
  writeVarIntBytes(value: unknown): EncoderInternals;
  writeVarIntString(value: string | null): EncoderInternals;
}

interface EncoderClass {
  new (initialSize?: number): EncoderInternals;
  prototype: EncoderInternals;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: unknown): number;
  sizeOfVarIntBytes(value: unknown): number;
}

type HeaderValue = string | Buffer;
interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, HeaderValue | HeaderValue[] | undefined>;
}

const isInt32 = (value: unknown): value is number =>
  typeof value === 'number' && (value | 0) === value;

/**
 * The patched methods and the record encoder, for an Encoder class and kafkajs' own methods
 * (which the patched ones fall back to for values outside their fast path).
 */
export function encodingFor(Encoder: EncoderClass) {
  const original = {
    writeVarLong: Encoder.prototype.writeVarLong,
    sizeOfVarLong: Encoder.sizeOfVarLong.bind(Encoder),
  };

  /** LEB128 of the low 32 bits, as kafkajs does it, written in place. */
  function writeUVarInt(this: EncoderInternals, value: number): EncoderInternals {
    this.ensureAvailable(5);
    const buf = this.buf;
    let offset = this.offset;
    while ((value & 0xffffff80) !== 0) {
      buf[offset++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[offset++] = value & 0x7f;
    this.offset = offset;
    return this;
  }

  /**
   * A varlong of an int32 is the 32-bit zigzag of it in LEB128: the same bytes kafkajs writes
   * through Long. Anything else (Long, string, larger numbers) takes kafkajs' path.
   */
  function writeVarLong(this: EncoderInternals, value: unknown): EncoderInternals {
    if (!isInt32(value)) return original.writeVarLong.call(this, value);
    return writeUVarInt.call(this, (value << 1) ^ (value >> 31));
  }

  function sizeOfVarLong(value: unknown): number {
    return isInt32(value) ? Encoder.sizeOfVarInt(value) : original.sizeOfVarLong(value);
  }

  /** kafkajs' `recordBatch/record/v0`, with the headers written into the record's encoder. */
  function encodeRecord({
    offsetDelta = 0,
    timestampDelta = 0,
    key,
    value,
    headers = {},
  }: RecordInput): EncoderInternals {
    const headersArray: { key: string; value: HeaderValue }[] = [];
    for (const headerKey of Object.keys(headers)) {
      const headerValue = headers[headerKey];
      if (Array.isArray(headerValue)) {
        for (const each of headerValue) headersArray.push({ key: headerKey, value: each });
      } else {
        headersArray.push({ key: headerKey, value: headerValue as HeaderValue });
      }
    }
    const sizeOfBody =
      1 + // attributes
      Encoder.sizeOfVarLong(timestampDelta) +
      Encoder.sizeOfVarInt(offsetDelta) +
      Encoder.sizeOfVarIntBytes(key) +
      Encoder.sizeOfVarIntBytes(value) +
      sizeOfHeaders(headersArray);
    const encoder = new Encoder(sizeOfBody + 5)
      .writeVarInt(sizeOfBody)
      .writeInt8(0) // no record attributes are used
      .writeVarLong(timestampDelta)
      .writeVarInt(offsetDelta)
      .writeVarIntBytes(key)
      .writeVarIntBytes(value)
      .writeVarInt(headersArray.length);
    for (const header of headersArray) {
      encoder.writeVarIntString(header.key).writeVarIntBytes(header.value);
    }
    return encoder;
  }

  /** kafkajs' own, unchanged (a null header value throws there as here). */
  function sizeOfHeaders(headersArray: { key: string; value: HeaderValue }[]): number {
    let size = Encoder.sizeOfVarInt(headersArray.length);
    for (const header of headersArray) {
      const keySize = Buffer.byteLength(header.key);
      const valueSize = Buffer.byteLength(header.value);
      size += Encoder.sizeOfVarInt(keySize) + keySize;
      size +=
        header.value === null
          ? Encoder.sizeOfVarInt(-1)
          : Encoder.sizeOfVarInt(valueSize) + valueSize;
    }
    return size;
  }

  return { writeUVarInt, writeVarLong, sizeOfVarLong, encodeRecord };
}

interface DecoderInternals {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarLong(): LongValue;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<T>(reader: (decoder: DecoderInternals) => T): T[];
}

interface LongValue {
  add(other: unknown): LongValue;
  toString(): string;
}

interface LongClass {
  fromValue(value: unknown): LongValue;
}

interface BatchContext {
  firstOffset?: string;
  firstTimestamp?: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  maxTimestamp?: string;
}

type DecodedHeaders = Record<string, Buffer | null | (Buffer | null)[]>;

/**
 * The record decoder, for kafkajs' Long class, timestamp types and header decoder (which it
 * uses for values outside its fast path).
 */
export function decodingFor(
  Long: LongClass,
  logAppendTime: number,
  decodeHeader: (decoder: DecoderInternals) => { key: string; value: Buffer | null },
) {
  /**
   * A varlong of at most seven bytes (49 bits: a safe integer) as a number, zigzag-decoded;
   * undefined, with the decoder where it was, for a longer one.
   */
  function readShortVarLong(decoder: DecoderInternals): number | undefined {
    const { buffer } = decoder;
    const start = decoder.offset;
    let offset = start;
    let result = 0;
    let scale = 1;
    let byte: number;
    do {
      if (offset - start === 7) return undefined;
      byte = buffer[offset++];
      result += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte >= 0x80);
    decoder.offset = offset;
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  }

  /** `base` (a decimal int64) plus `delta`, as kafkajs' Long would print it. */
  function plus(base: string | undefined, delta: number | LongValue): string {
    if (typeof delta === 'number') {
      const sum = Number(base) + delta;
      if (Number.isSafeInteger(sum) && Number.isSafeInteger(Number(base))) return String(sum);
    }
    return Long.fromValue(base).add(delta).toString();
  }

  /** kafkajs' `recordBatch/record/v0/decoder`, the same record from fewer objects. */
  function decodeRecord(decoder: DecoderInternals, batchContext: BatchContext = {}) {
    const {
      firstOffset,
      firstTimestamp,
      magicByte,
      isControlBatch = false,
      timestampType,
      maxTimestamp,
    } = batchContext;
    const attributes = decoder.readInt8();
    const timestampDelta = readShortVarLong(decoder) ?? decoder.readVarLong();
    const timestamp =
      timestampType === logAppendTime && maxTimestamp
        ? maxTimestamp
        : plus(firstTimestamp, timestampDelta);
    const offset = plus(firstOffset, decoder.readVarInt());
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    const headers: DecodedHeaders = {};
    for (const header of decoder.readVarIntArray(decodeHeader)) {
      const seen = headers[header.key];
      const merged =
        seen === undefined
          ? header.value
          : Array.isArray(seen)
            ? seen.concat([header.value])
            : [seen, header.value];
      // kafkajs copies the object with `{ ...obj, [key]: value }`, which makes `__proto__` an
      // own property; an assignment would set the prototype instead.
      Object.defineProperty(headers, header.key, {
        value: merged,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return {
      magicByte,
      attributes, // record attributes are unused
      timestamp,
      offset,
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext,
    };
  }

  return { decodeRecord };
}

const encoderPath = 'kafkajs/src/protocol/encoder';
const recordPath = 'kafkajs/src/protocol/recordBatch/record/v0';
const recordDecoderPath = 'kafkajs/src/protocol/recordBatch/record/v0/decoder';
// The modules that bind the record encoder and decoder; kafkajs loads them on the first
// produce and the first fetch.
const boundBy = [
  'kafkajs/src/protocol/requests/produce/v3/request',
  'kafkajs/src/protocol/recordBatch/v0/decoder',
];

let patched = false;

/**
 * Installs the patch once per module registry; true when kafkajs is the version it was written
 * for and no producer or consumer has used the record codecs yet.
 */
export function patchKafkajsRecords(): boolean {
  if (patched) return true;
  const { version } = requireFromHere('kafkajs/package.json') as { version: string };
  if (version !== recordsPatchedKafkajsVersion) return false;
  const cache = requireFromHere.cache;
  if (boundBy.some((path) => cache[requireFromHere.resolve(path)])) return false;
  const module = (path: string) => {
    requireFromHere(path);
    return cache[requireFromHere.resolve(path)];
  };
  const record = module(recordPath);
  const recordDecoder = module(recordDecoderPath);
  if (!record || !recordDecoder) return false;
  const Encoder = requireFromHere(encoderPath) as EncoderClass;
  const encoding = encodingFor(Encoder);
  const decoding = decodingFor(
    requireFromHere('kafkajs/src/utils/long') as LongClass,
    (requireFromHere('kafkajs/src/protocol/timestampTypes') as { LOG_APPEND_TIME: number })
      .LOG_APPEND_TIME,
    requireFromHere('kafkajs/src/protocol/recordBatch/header/v0/decoder') as (
      decoder: DecoderInternals,
    ) => { key: string; value: Buffer | null },
  );
  record.exports = encoding.encodeRecord;
  recordDecoder.exports = decoding.decodeRecord;
  Encoder.prototype.writeUVarInt = encoding.writeUVarInt;
  Encoder.prototype.writeVarLong = encoding.writeVarLong;
  Encoder.sizeOfVarLong = encoding.sizeOfVarLong;
  patched = true;
  return true;
}

patchKafkajsRecords();
