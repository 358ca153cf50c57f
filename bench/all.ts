// `npm run bench [-- --quick]`: every benchmark, one after the other, each beside its
// same-run baseline; the flags given go to each. The platform bench comes last: it reads the
// scale bench's result (dist/bench/scale.json), writes BENCHMARKS.md's platform section and
// prints the machine-readable last line. Without KAFKA_BROKERS the benches use the local broker
// (deploy/kafka-local), started here when none answers and stopped again at the end, as
// `npm test` does: the platform bench can start the platform, but the benches before it need a
// broker of their own.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { localBrokerRunning, runLocalBroker } from '@jifen/messaging';

const benches = ['accounts-consumer', 'outbox-relay', 'scale', 'platform'];
let startedBroker = false;
if (!process.env.KAFKA_BROKERS && !localBrokerRunning()) {
  try {
    runLocalBroker('start');
  } catch {
    process.stderr.write('bench: the local Kafka broker did not start (deploy/kafka-local)\n');
    process.exit(1);
  }
  startedBroker = true;
}

let failed: string | undefined;
for (const bench of benches) {
  const result = spawnSync(
    process.execPath,
    ['--enable-source-maps', path.join(__dirname, `${bench}.bench.js`), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) {
    failed = `bench: ${bench} failed (exit ${result.status ?? result.signal})\n`;
    break;
  }
}
// Quietly: the platform bench's machine-readable line stays the last one printed on stdout.
if (startedBroker) {
  try {
    runLocalBroker('stop', true);
  } catch {
    process.stderr.write('bench: the local Kafka broker did not stop (npm run kafka:stop)\n');
  }
}
if (failed) {
  process.stderr.write(failed);
  process.exit(1);
}
