// `npm run audit`: the invariants of the ledger, checked against the databases as they are
// (read-only; safe in production). Prints a one-line verdict, then each failure; exits 1 on
// any failure. Reads DATABASE_URL and DATABASE_SCHEMA_PREFIX like the services.
import { defaultDatabaseUrl } from '@jifen/platform';
import { runAudit } from './audit/run-audit';

async function main(): Promise<number> {
  const report = await runAudit({
    databaseUrl: process.env.DATABASE_URL ?? defaultDatabaseUrl,
    schemaPrefix: process.env.DATABASE_SCHEMA_PREFIX ?? '',
  });
  const verdict = report.failures.length === 0 ? 'OK' : 'FAILED';
  console.log(
    `audit: ${verdict} streams=${report.streams} outstanding=${report.outstanding} ` +
      `analytics_outstanding=${report.analyticsOutstanding ?? 'n/a'} failures=${report.failures.length}`,
  );
  for (const failure of report.failures) {
    console.log(`  ${failure.check} ${failure.subject}: ${failure.detail}`);
  }
  return report.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`audit failed to run: ${(error as Error).message}`);
    process.exit(2);
  },
);
