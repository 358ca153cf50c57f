import { randomFillSync } from 'node:crypto';

// Random bytes for 256 ids at a time, from the same CSPRNG as crypto.randomUUID.
const idsPerFill = 256;
const random = Buffer.allocUnsafeSlow(16 * idsPerFill);
let next = random.length;
const text = Buffer.allocUnsafeSlow(36);
const hexDigits = Buffer.from('0123456789abcdef', 'latin1');

/**
 * A random (version 4) UUID in its 36-character form, as crypto.randomUUID gives, built as
 * one flat string. Node 20's randomUUID concatenates it from 20 pieces: about 0.8-1.0 µs and
 * 480 bytes of string pieces that stay on the heap until the id is first read whole, against
 * 0.12-0.15 µs and 56 bytes here (100,000 ids, measured). The accounts consumer draws one per
 * stored event, so those pieces were garbage its collector copied (issue 10, BENCHMARKS.md).
 */
export function randomId(): string {
  if (next === random.length) {
    randomFillSync(random);
    next = 0;
  }
  const at = next;
  next += 16;
  random[at + 6] = (random[at + 6] & 0x0f) | 0x40; // version 4
  random[at + 8] = (random[at + 8] & 0x3f) | 0x80; // variant 10xx (RFC 9562)
  let j = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[j++] = 0x2d; // '-'
    const byte = random[at + i];
    text[j++] = hexDigits[byte >> 4];
    text[j++] = hexDigits[byte & 0x0f];
  }
  return text.toString('latin1', 0, 36);
}
