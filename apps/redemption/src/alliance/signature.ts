import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compact JSON with the keys sorted at every level (CONTRACT.md section 5): the bytes a
 * settlement message's signature covers.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Hex HMAC-SHA256 with the partner's secret over the message's other fields. */
export function sign(message: Record<string, unknown>, secret: string): string {
  const { signature: _ignored, ...fields } = message;
  return createHmac('sha256', secret).update(canonicalJson(fields)).digest('hex');
}

/** Compares in constant time; a signature of the wrong length or not hex is simply wrong. */
export function verify(message: Record<string, unknown>, secret: string): boolean {
  const given = message.signature;
  if (typeof given !== 'string' || !/^[0-9a-f]{64}$/i.test(given)) return false;
  let expected: string;
  try {
    expected = sign(message, secret);
  } catch {
    // Canonical JSON recurses: a message nested thousands of levels deep overflows the stack.
    // No partner signs such a message, and one that throws would stop its partition for good.
    return false;
  }
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

export function signed<T extends Record<string, unknown>>(
  message: T,
  secret: string,
): T & { signature: string } {
  return { ...message, signature: sign(message, secret) };
}
