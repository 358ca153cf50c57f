import { Inbox1764201600000 } from './1764201600000-inbox';
import { IntakeCounters1764201600001 } from './1764201600001-intake-counters';

/** In order; a migration, once released, is never edited. */
export const ingestionMigrations = [Inbox1764201600000, IntakeCounters1764201600001];
