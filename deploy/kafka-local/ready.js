// Exit 0 when a Kafka broker at argv[2] answers a metadata request, 1 otherwise.
// argv[3]: seconds to keep trying (0: one attempt). Used by kafka-local.sh and the test harness.
const { Kafka, logLevel } = require('kafkajs');

const [broker = '127.0.0.1:9092', seconds = '0'] = process.argv.slice(2);

async function main() {
  const admin = new Kafka({
    clientId: 'jifen-ready',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  }).admin();
  const deadline = Date.now() + Number(seconds) * 1000;
  for (;;) {
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      if (cluster.brokers.length > 0) return 0;
    } catch {
      await admin.disconnect().catch(() => undefined);
    }
    if (Date.now() >= deadline) return 1;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

main().then((code) => process.exit(code));
