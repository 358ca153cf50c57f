// The PostgreSQL event store (append with expected version, read, snapshots, outbox) arrives
// with the accounts issue (#6); see docs/architecture.md.
export {};
