import { evolve, initialState, LedgerEvent, MemberState } from '@jifen/ledger';
import { EventStore, Queryable } from '@jifen/event-store';

export const memberStreamId = (memberId: string) => `member-${memberId}`;

/** Bump when MemberState's shape changes: older snapshots are then ignored and rebuilt. */
export const MemberSnapshotVersion = 2; // 2: orders, redemptions... as Keyed records

export interface LoadedMember {
  state: MemberState;
  /** The stream's version the state was folded to: the expected version of the next append. */
  version: number;
  /** The stream position of the last snapshot saved. */
  snapshotAt: number;
}

/**
 * Member states for the commands consumer: a bounded cache in front of the event store. The
 * consumer of a partition is the only writer of its members' streams, so a cached state stays
 * true while the partition is owned; the cache is dropped on every rebalance, and an append
 * that finds another version (ExpectedVersionConflict) drops the entries concerned.
 *
 * Bounded twice, the least recently used going first: at most `capacity` members, and states
 * standing for at most `eventBudget` events in all. A state grows with its member's history
 * (orders, lots, spend): the demo's members, a year of activity each, took about 220 bytes of
 * heap an event, 15 KB a member on average. Bounded by members alone, 40,000 of them held
 * accounts' heap above 2 GB, and its collector stalled the consumer past its session timeout.
 */
export class MemberStreams {
  private readonly cache = new Map<string, LoadedMember>();
  /** The events the cached states stand for: the sum of their versions. */
  private events = 0;

  constructor(
    private readonly store: EventStore,
    private readonly capacity = 50_000,
    private readonly eventBudget = 2_000_000,
  ) {}

  async load(db: Queryable, memberIds: Iterable<string>): Promise<Map<string, LoadedMember>> {
    const found = new Map<string, LoadedMember>();
    const missing: string[] = [];
    for (const memberId of new Set(memberIds)) {
      const cached = this.cache.get(memberId);
      if (cached) found.set(memberId, cached);
      else missing.push(memberId);
    }
    // Every miss of the batch in one round trip (snapshots and newer events; versions only when
    // a snapshot has no newer event).
    const loaded = await this.store.aggregateStreams<MemberState, LedgerEvent>(
      db,
      missing.map(memberStreamId),
      { initialState, evolve, snapshotSchemaVersion: MemberSnapshotVersion },
    );
    for (const memberId of missing) {
      const { state, version, fromSnapshot } = loaded.get(memberStreamId(memberId))!;
      found.set(memberId, { state, version, snapshotAt: fromSnapshot });
    }
    return found;
  }

  /** After a commit: the states the batch produced. */
  remember(members: Map<string, LoadedMember>): void {
    for (const [memberId, loaded] of members) {
      this.drop(memberId);
      this.cache.set(memberId, loaded);
      this.events += loaded.version;
    }
    // Oldest first: Map keeps insertion order, and remembering re-inserts.
    for (const memberId of this.cache.keys()) {
      if (this.cache.size <= this.capacity && this.events <= this.eventBudget) break;
      this.drop(memberId);
    }
  }

  /** The members cached now, and the events their states stand for (accounts' /metrics). */
  get held(): { members: number; events: number } {
    return { members: this.cache.size, events: this.events };
  }

  forget(memberIds?: Iterable<string>): void {
    if (!memberIds) {
      this.cache.clear();
      this.events = 0;
      return;
    }
    for (const memberId of memberIds) this.drop(memberId);
  }

  private drop(memberId: string): void {
    const cached = this.cache.get(memberId);
    if (!cached) return;
    this.cache.delete(memberId);
    this.events -= cached.version;
  }
}
