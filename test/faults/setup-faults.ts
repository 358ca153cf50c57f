// Each fault publishes thousands of events through real processes and waits for them.
jest.setTimeout(180_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
