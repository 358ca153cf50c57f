// Each fault publishes thousands of events through real processes and waits for them. The
// timeout is above the longest wait of a check (180 s) plus a fault's own time, so a platform
// that never catches up fails with the check's finding and the services' logs, not with jest's
// bare timeout (which is all CI once showed of a stalled fault 3).
jest.setTimeout(300_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
