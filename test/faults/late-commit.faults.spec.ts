import { Client } from 'pg';
import { Topics } from '@jifen/contracts';
import { EventStore } from '@jifen/event-store';
import { decide, DEFAULT_CONFIG, evolve, initialState, LedgerEvent } from '@jifen/ledger';
import { TopicReader } from '@jifen/testing';
import { accountsEventsPublished, Platform, sleep, streamWithFault, withLogs } from './harness';

// Fault 9: a late commit. One append transaction (EventStore.append on a pg client of its own,
// against accounts' schema, for a member stream of its own) takes its transaction id early and
// stays open for 10 s while accounts commits batch after batch around it. Global positions
// are handed out at insert, so a reader going by "last position read" would skip its rows;
// the relay and analytics must deliver everything, none skipped, each stream in stream order.
describe('fault 9: a late commit', () => {
  let p: Platform;
  let reader: TopicReader | undefined;

  beforeAll(async () => {
    p = await Platform.start({ services: ['ingestion', 'accounts', 'analytics'] });
  });
  afterAll(async () => {
    await reader?.stop();
    await p?.stop();
  });

  it('delivers every event, none skipped, in stream order', async () => {
    let heldMs = 0;
    let committedAround = 0;
    const { stream } = await streamWithFault(p, {
      seed: 9,
      at: 0.1,
      pauseMs: 200,
      inject: async (_, expected) => {
        const memberId = `${p.ctx.schemaPrefix}late`;
        const events = decide(
          {
            type: 'SignUp',
            memberId,
            sourceEventId: 'faults/late-commit',
            time: new Date().toISOString(),
          },
          initialState(),
          DEFAULT_CONFIG,
        );
        expected.states.set(memberId, events.reduce(evolve, initialState()));
        expected.events.set(memberId, events);
        const store = new EventStore({ schema: `${p.ctx.schemaPrefix}accounts` });
        const db = new Client({ connectionString: p.ctx.databaseUrl });
        await db.connect();
        try {
          await db.query('BEGIN');
          await store.append<LedgerEvent>(db, `member-${memberId}`, 0, events);
          const before = await p.storedEvents();
          const started = Date.now();
          await sleep(10_000);
          committedAround = (await p.storedEvents()) - before;
          await db.query('COMMIT');
          heldMs = Date.now() - started;
        } finally {
          await db.end();
        }
      },
      verify: { analytics: true },
    });
    expect(heldMs).toBeGreaterThanOrEqual(10_000);
    // accounts went on committing while the late transaction was open.
    expect(committedAround).toBeGreaterThan(0);

    await withLogs(p, async () => {
      // Every event of accounts that maps to an integration event, and every outbox row for
      // the topic (command outcomes), is on the topic once; each member stream's events arrive
      // in stream order.
      const { events: rows, outboxRows } = await accountsEventsPublished(p);
      expect(rows.length).toBeGreaterThan(stream.events.length);
      reader = await TopicReader.start(p.ctx.kafka, p.ctx.topic(Topics.accountsEvents));
      const messages = await reader.waitFor(rows.length + outboxRows, 60_000);
      const positions = new Map<string, number[]>();
      for (const message of messages) {
        const streamId = message.headers['stream-id'];
        if (streamId === undefined) continue;
        const list = positions.get(streamId) ?? [];
        list.push(Number(message.headers['stream-position']));
        positions.set(streamId, list);
      }
      const wanted = new Map<string, number[]>();
      for (const row of rows) {
        wanted.set(row.streamId, [...(wanted.get(row.streamId) ?? []), row.streamPosition]);
      }
      expect(messages).toHaveLength(rows.length + outboxRows);
      expect(positions).toEqual(wanted);
      expect(positions.get(`member-${p.ctx.schemaPrefix}late`)?.length).toBeGreaterThan(0);
    });
  });
});
