import { describeShares, medianShares, perEvent } from './cpu';

const run = (accounts: number, postgres: number, machine: number) => ({
  services: { ingestion: 1, accounts },
  postgres: { accounts: postgres },
  machine,
});

describe('CPU by part of the platform', () => {
  it('says each service with its PostgreSQL backends beside it, and what the machine spent besides', () => {
    // 2,000 events: 1 s of ingestion, 3 s of accounts, 1.6 s of accounts' backends, 8 s in all.
    const line = describeShares(perEvent(run(3, 1.6, 8), 2_000));
    expect(line).toBe(
      'ingestion 500 · accounts 1,500 (+800 in PostgreSQL) · the rest 1,200 · the machine 4,000',
    );
  });

  it("takes each part's median over the runs", () => {
    const median = medianShares([run(3, 2, 9), run(1, 4, 7), run(2, 3, 8)]);
    expect(median).toEqual(run(2, 3, 8));
  });
});
