import { EventStore } from '@jifen/event-store';
import { initialState } from '@jifen/ledger';
import { LoadedMember, MemberStreams, memberStreamId } from './member-streams';

/** An event store that answers every stream asked for, and notes which were asked. */
function storeNoting(asked: string[]): EventStore {
  return {
    aggregateStreams: async (_db: unknown, streamIds: readonly string[]) => {
      asked.push(...streamIds);
      return new Map(
        streamIds.map((id) => [id, { state: initialState(), version: 0, fromSnapshot: 0 }]),
      );
    },
  } as unknown as EventStore;
}

const member = (version: number): LoadedMember => ({
  state: initialState(),
  version,
  snapshotAt: 0,
});

describe('MemberStreams, the commands consumer cache of member states', () => {
  const db = {} as never;

  it('keeps at most its capacity of members, the least recently used going first', async () => {
    const asked: string[] = [];
    const streams = new MemberStreams(storeNoting(asked), 2);
    streams.remember(new Map([['a', member(1)]]));
    streams.remember(new Map([['b', member(1)]]));
    streams.remember(new Map([['a', member(2)]])); // a used again: b is now the oldest
    streams.remember(new Map([['c', member(1)]]));
    await streams.load(db, ['a', 'b', 'c']);
    expect(asked).toEqual([memberStreamId('b')]);
  });

  it('keeps states standing for at most its budget of events, however few members', async () => {
    const asked: string[] = [];
    const streams = new MemberStreams(storeNoting(asked), 50_000, 1_000);
    // Long histories: two of 600 events pass the budget, so the older goes.
    streams.remember(new Map([['long-1', member(600)]]));
    streams.remember(new Map([['long-2', member(600)]]));
    // Short ones fit beside the one left.
    streams.remember(
      new Map([
        ['short-1', member(3)],
        ['short-2', member(3)],
      ]),
    );
    await streams.load(db, ['long-1', 'long-2', 'short-1', 'short-2']);
    expect(asked).toEqual([memberStreamId('long-1')]);
  });

  it('counts a member remembered again once, at its new version', async () => {
    const asked: string[] = [];
    const streams = new MemberStreams(storeNoting(asked), 50_000, 1_000);
    for (let version = 100; version <= 900; version += 100) {
      streams.remember(new Map([['growing', member(version)]]));
    }
    streams.remember(new Map([['other', member(100)]]));
    await streams.load(db, ['growing', 'other']);
    expect(asked).toEqual([]);
    streams.forget(['growing']);
    streams.remember(new Map([['third', member(900)]]));
    await streams.load(db, ['other', 'third']);
    expect(asked).toEqual([]);
  });
});
