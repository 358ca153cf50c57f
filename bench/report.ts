// What the benches print and write, kept apart from what they measure so it can be tested:
// the summaries of several runs, the machine-readable last line of `npm run bench` (issue 10)
// and the platform section of BENCHMARKS.md.

/** A figure over several runs. */
export interface Summary {
  median: number;
  min: number;
  max: number;
}

/** The middle value (of an even count, the upper middle); NaN for none. */
export const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export const summary = (xs: number[]): Summary => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
});

/** The p-th percentile of values sorted ascending (nearest rank); NaN for none. */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** A whole number with thousands separators: 121,653. */
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The medians the last line reports. */
export interface BenchLine {
  e2eEventsPerSecond: number;
  limitEventsPerSecond: number;
  p99MsAt200: number;
  p99MsAt5000: number;
  redemptionsPerSecond: number;
  accountsRssMiB: number;
}

/**
 * The last line `npm run bench` prints, in the form issue 10 fixes for scripts to read:
 * `bench: e2e_events_per_s=<n> limit_events_per_s=<n> share=<0..1> p99_ms_at_200=<n>
 * p99_ms_at_5000=<n> redemptions_per_s=<n> accounts_rss_mib=<n>`.
 */
export function benchLine(figures: BenchLine): string {
  const whole = (n: number) => String(Math.round(n));
  const share = figures.e2eEventsPerSecond / figures.limitEventsPerSecond;
  return [
    'bench:',
    `e2e_events_per_s=${whole(figures.e2eEventsPerSecond)}`,
    `limit_events_per_s=${whole(figures.limitEventsPerSecond)}`,
    `share=${share.toFixed(2)}`,
    `p99_ms_at_200=${whole(figures.p99MsAt200)}`,
    `p99_ms_at_5000=${whole(figures.p99MsAt5000)}`,
    `redemptions_per_s=${whole(figures.redemptionsPerSecond)}`,
    `accounts_rss_mib=${whole(figures.accountsRssMiB)}`,
  ].join(' ');
}

/**
 * `document` with the section that starts with `heading` (a `## ` line) replaced by `section`,
 * up to the next `## ` heading; appended at the end when there is none yet.
 */
export function replaceSection(document: string, heading: string, section: string): string {
  const start = document.indexOf(`${heading}\n`);
  if (start < 0) return `${document.trimEnd()}\n\n${section.trimEnd()}\n`;
  const next = document.indexOf('\n## ', start + heading.length);
  const rest = next < 0 ? '' : document.slice(next + 1);
  return `${document.slice(0, start)}${section.trimEnd()}\n\n${rest}`.trimEnd() + '\n';
}
