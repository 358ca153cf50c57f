import { InvalidCommand } from '../errors';

export function requirePositiveInteger(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidCommand(`${field} must be a positive integer, got ${String(value)}`);
  }
}

/** Whole points; the minimum (if any) is a business rule checked by the caller. */
export function requireInteger(value: number, field: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidCommand(`${field} must be an integer, got ${String(value)}`);
  }
}

export function requireBirthday(birthday: string | undefined): void {
  if (birthday === undefined) return;
  const match = /^(\d{2})-(\d{2})$/.exec(birthday);
  const month = match ? Number(match[1]) : 0;
  const day = match ? Number(match[2]) : 0;
  const days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12 || day < 1 || day > days[month - 1]) {
    throw new InvalidCommand(`birthday must be "MM-DD", got ${birthday}`);
  }
}
