/** The pg Pool under TypeORM's DataSource: the event store's statements run on it. */
export const ACCOUNTS_POOL = Symbol('AccountsPool');
