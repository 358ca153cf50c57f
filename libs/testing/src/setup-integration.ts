// Integration tests wait on a real broker and database: joining a consumer group and creating
// topics take seconds, not milliseconds.
jest.setTimeout(60_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
