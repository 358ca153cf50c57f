import { Inbox1764201600000 } from './1764201600000-inbox';

/** In order; a migration, once released, is never edited. */
export const ingestionMigrations = [Inbox1764201600000];
