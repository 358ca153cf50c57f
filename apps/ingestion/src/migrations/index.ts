import { Inbox1764201600000 } from './1764201600000-inbox';
import { IntakeCounters1764201600001 } from './1764201600001-intake-counters';
import { DlqReplays1764201600002 } from './1764201600002-dlq-replays';
import { IntakeCountersPerShard1764201600003 } from './1764201600003-intake-counters-per-shard';

/** In order; a migration, once released, is never edited. */
export const ingestionMigrations = [
  Inbox1764201600000,
  IntakeCounters1764201600001,
  DlqReplays1764201600002,
  IntakeCountersPerShard1764201600003,
];
