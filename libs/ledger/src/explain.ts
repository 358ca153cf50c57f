import { localDay, type Instant } from './time';

/** 1948 → "1,948" (grouping by hand: the same on every runtime and locale). */
export function formatPoints(n: number): string {
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 129_950 fen → "1,299.50 CNY" */
export function formatCny(minor: number): string {
  const whole = Math.floor(minor / 100);
  const fen = String(minor % 100).padStart(2, '0');
  return `${formatPoints(whole)}.${fen} CNY`;
}

/** 15 tenths → "1.5" */
export function formatMultiplier(tenths: number): string {
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

export function formatDay(instant: Instant, timeZone: string): string {
  return localDay(instant, timeZone);
}

export function pointsWord(n: number): string {
  return `${formatPoints(n)} ${Math.abs(n) === 1 ? 'point' : 'points'}`;
}
