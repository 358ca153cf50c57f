import { benchLine, percentile, replaceSection, summary } from './report';

describe("npm run bench's last line", () => {
  it('has the form issue 10 gives scripts to read, whole numbers and a share to two places', () => {
    const line = benchLine({
      e2eEventsPerSecond: 8_499.4,
      limitEventsPerSecond: 121_653,
      p99MsAt200: 29.2,
      p99MsAt5000: 534.6,
      redemptionsPerSecond: 589,
      accountsRssMiB: 386,
    });

    expect(line).toBe(
      'bench: e2e_events_per_s=8499 limit_events_per_s=121653 share=0.07 p99_ms_at_200=29 ' +
        'p99_ms_at_5000=535 redemptions_per_s=589 accounts_rss_mib=386',
    );
    expect(line).toMatch(
      /^bench: e2e_events_per_s=\d+ limit_events_per_s=\d+ share=[01]\.\d\d p99_ms_at_200=\d+ p99_ms_at_5000=\d+ redemptions_per_s=\d+ accounts_rss_mib=\d+$/,
    );
  });
});

describe('a figure over several runs', () => {
  it('is the median of the runs with their min and max', () => {
    expect(summary([9_415, 8_077, 8_499])).toEqual({ median: 8_499, min: 8_077, max: 9_415 });
    expect(summary([3_357])).toEqual({ median: 3_357, min: 3_357, max: 3_357 });
  });

  it('takes percentiles by nearest rank', () => {
    const sorted = Array.from({ length: 300 }, (_, i) => i + 1);

    expect(percentile(sorted, 50)).toBe(151);
    expect(percentile(sorted, 99)).toBe(298);
    expect(percentile([], 99)).toBeNaN();
  });
});

describe("BENCHMARKS.md's platform section", () => {
  const heading = '## The platform end to end (issue 10)';
  const before = [
    '# Benchmarks',
    '',
    '## The accounts commands consumer (issue 6)',
    '',
    'kept',
    '',
  ];
  const after = ['## Issue 10: where the time went', '', 'history, kept', ''];
  const old = [heading, '', 'old figures', '', '### a subsection of it', '', 'old too', ''];

  it('is replaced, subsections included, and the sections around it are kept', () => {
    const document = [...before, ...old, ...after].join('\n');

    const updated = replaceSection(document, heading, `${heading}\n\nnew figures\n\n`);

    expect(updated).toBe([...before, heading, '', 'new figures', '', ...after].join('\n'));
  });

  it('is added at the end of a report that has none yet', () => {
    const updated = replaceSection('# Benchmarks\n\nearlier\n', heading, `${heading}\n\nfigures`);

    expect(updated).toBe(`# Benchmarks\n\nearlier\n\n${heading}\n\nfigures\n`);
  });
});
