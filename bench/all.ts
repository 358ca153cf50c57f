// `npm run bench [-- --quick]`: every benchmark, one after the other, each beside its
// same-run baseline; the flags given go to each. The platform bench comes last: it reads the
// scale bench's result (dist/bench/scale.json), writes BENCHMARKS.md's platform section and
// prints the machine-readable last line.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const benches = ['accounts-consumer', 'outbox-relay', 'scale', 'platform'];

for (const bench of benches) {
  const result = spawnSync(
    process.execPath,
    ['--enable-source-maps', path.join(__dirname, `${bench}.bench.js`), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) {
    process.stderr.write(`bench: ${bench} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}
