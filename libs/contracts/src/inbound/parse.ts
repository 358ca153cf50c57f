import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { InboundDataByType, InboundDataClasses, InboundType, isInboundType } from './data';
import { firstUnstorableText } from '../text';
import { Rejection } from './reasons';

/** Inbound messages above this size are `malformed` (CONTRACT.md section 3). */
export const MaxInboundBytes = 64 * 1024;

export const SupportedCurrencies = ['CNY'] as const;

/**
 * How deeply `data` may nest objects and arrays. The deepest field of the contract is
 * `data.items[i].sku` (3); validation recurses per level, so thousands of levels (which fit in
 * 64 KiB) would overflow the stack, and a message that throws is retried forever.
 */
export const MaxDataDepth = 16;

/** A CloudEvent that passed every check ingestion can make without a member's state. */
export type InboundEvent = {
  [T in InboundType]: {
    type: T;
    id: string;
    source: string;
    /** RFC 3339, as sent. */
    time: string;
    subject: string;
    data: InboundDataByType[T];
  };
}[InboundType];

export type ParseResult = { ok: true; event: InboundEvent } | { ok: false; rejection: Rejection };

const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Reads one inbound message's bytes into an event, or says why it cannot be applied, with the
 * first reason in the contract's precedence: malformed, invalid, unknown_type,
 * unsupported_currency. Never throws on any input.
 */
export function parseInbound(value: Buffer | null): ParseResult {
  if (value === null || value.length === 0) return reject('malformed', 'the message has no body');
  if (value.length > MaxInboundBytes) {
    return reject(
      'malformed',
      `the message is ${value.length} bytes; inbound events are at most ${MaxInboundBytes} bytes`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch {
    return reject('malformed', 'the message is not JSON');
  }
  if (!isObject(body)) return reject('malformed', 'the message is JSON but not an object');
  if (body.specversion !== '1.0') {
    return reject('malformed', 'specversion must be "1.0" (a CloudEvents 1.0 structured event)');
  }
  for (const field of ['id', 'source', 'type'] as const) {
    if (typeof body[field] !== 'string' || body[field] === '') {
      return reject('malformed', `${field} must be a non-empty string`);
    }
  }
  const { id, source, type } = body as { id: string; source: string; type: string };

  const unstorable = firstUnstorableText(body, 'event');
  if (unstorable !== undefined) {
    return reject(
      'invalid',
      `${truncate(unstorable)} holds U+0000 or an unpaired surrogate, which cannot be stored`,
    );
  }
  const timeProblem = checkTime(body.time);
  if (timeProblem) return reject('invalid', timeProblem);
  if (typeof body.subject !== 'string' || body.subject === '' || body.subject.length > 128) {
    return reject(
      'invalid',
      'subject must be the member id, a non-empty string of at most 128 characters',
    );
  }
  if (body.datacontenttype !== undefined && body.datacontenttype !== 'application/json') {
    return reject('invalid', 'datacontenttype must be "application/json" when present');
  }
  if (!isObject(body.data)) return reject('invalid', 'data must be an object');
  for (const [field, value] of Object.entries(body.data)) {
    if (exceedsDepth(value, MaxDataDepth - 1)) {
      return reject(
        'invalid',
        `data.${truncate(field)} nests more than ${MaxDataDepth} levels of objects and arrays`,
      );
    }
  }
  if (!isInboundType(type)) {
    return reject(
      'unknown_type',
      `type "${truncate(type)}" is not an inbound event type of the contract`,
    );
  }

  let data: object;
  let errors: ValidationError[];
  try {
    data = plainToInstance(InboundDataClasses[type] as new () => object, body.data);
    errors = validateSync(data, { forbidUnknownValues: true, stopAtFirstError: true });
  } catch {
    // Never throw: a message that throws would be retried forever and stop its partition.
    return reject('invalid', 'data could not be validated');
  }
  if (errors.length > 0) return reject('invalid', describe(errors[0], 'data'));
  const memberId = (data as { memberId: string }).memberId;
  if (memberId !== body.subject) {
    return reject('invalid', 'subject must equal data.memberId');
  }
  if (type === 'purchase.completed') {
    const { currency } = data as InboundDataByType['purchase.completed'];
    if (!(SupportedCurrencies as readonly string[]).includes(currency)) {
      return reject(
        'unsupported_currency',
        `currency "${truncate(currency)}" is not supported; amounts must be in CNY`,
      );
    }
  }
  return {
    ok: true,
    event: { type, id, source, time: body.time as string, subject: memberId, data } as InboundEvent,
  };
}

function checkTime(time: unknown): string | undefined {
  const problem = 'time must be an RFC 3339 timestamp such as "2026-11-26T10:00:00+08:00"';
  if (typeof time !== 'string') return problem;
  const match = rfc3339.exec(time);
  if (!match) return problem;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const instant = Date.parse(time.replace(' ', 'T'));
  // Date.parse rolls 02-30 over to March; compare the calendar fields to refuse it.
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (
    Number.isNaN(instant) ||
    calendar.getUTCMonth() !== month - 1 ||
    calendar.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return problem;
  }
  return undefined;
}

/** The first problem of a validation error tree as "data.items[0].quantity must be ...". */
function describe(error: ValidationError, path: string): string {
  const here = /^\d+$/.test(error.property)
    ? `${path}[${error.property}]`
    : `${path}.${error.property}`;
  const message = error.constraints ? Object.values(error.constraints)[0] : undefined;
  if (message !== undefined) {
    return message.startsWith(error.property)
      ? `${here}${message.slice(error.property.length)}`
      : `${here}: ${message}`;
  }
  const child = error.children?.[0];
  return child ? describe(child, here) : `${here} is not valid`;
}

function reject(reason: Rejection['reason'], detail: string): ParseResult {
  return { ok: false, rejection: { reason, detail } };
}

/** Whether objects and arrays nest deeper than `limit` levels below `value`; iterative. */
function exceedsDepth(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!;
    if (typeof next !== 'object' || next === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(next)) pending.push([child, depth + 1]);
  }
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
