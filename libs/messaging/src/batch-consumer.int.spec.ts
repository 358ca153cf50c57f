import { KafkaJSNonRetriableError } from 'kafkajs';
import { Topics } from '@jifen/contracts';
import { createTestContext, eventually, TestContext } from '@jifen/testing';
import { BatchConsumer, BatchConsumerOptions, PartitionBatch } from './batch-consumer';

let ctx: TestContext;
const consumers: BatchConsumer[] = [];

beforeAll(async () => {
  ctx = await createTestContext({ topics: [Topics.inbound], partitions: 3 });
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
});
afterAll(async () => {
  await ctx?.dispose();
});

/** The values of one test's messages (every test's group reads the topic from its start). */
const values = (batches: PartitionBatch[], tag: string) =>
  batches
    .flatMap((b) => b.messages.map((m) => String(m.value)))
    .filter((value) => value.startsWith(`${tag}-`))
    .sort();

async function publishToEveryPartition(tag: string): Promise<string[]> {
  const messages = [0, 1, 2].flatMap((partition) =>
    [0, 1].map((i) => ({ partition, value: `${tag}-p${partition}-${i}` })),
  );
  await ctx.producer.send({ topic: ctx.topic(Topics.inbound), messages });
  return messages.map((m) => m.value).sort();
}

function consumer(
  group: string,
  handle: (batches: PartitionBatch[]) => Promise<void>,
  options: Partial<BatchConsumerOptions> = {},
) {
  const c = new BatchConsumer({
    kafka: ctx.kafka,
    groupId: `${ctx.topicPrefix}${group}`,
    topics: [ctx.topic(Topics.inbound)],
    handle,
    maxBackoffMs: 200,
    ...options,
  });
  consumers.push(c);
  return c;
}

describe('BatchConsumer', () => {
  it('hands the partitions of one fetch to one handle call, each once', async () => {
    const sent = await publishToEveryPartition('together');
    const calls: PartitionBatch[][] = [];
    await consumer('together', async (batches) => {
      calls.push(batches);
    }).start();

    await eventually(() => expect(values(calls.flat(), 'together')).toEqual(sent));
    // Published before the consumer started, the partitions come in one fetch (the broker may
    // answer the first fetch before it has read them all), and reach one call.
    expect(Math.max(...calls.map((batches) => batches.length))).toBeGreaterThan(1);
    for (const batches of calls) {
      expect(new Set(batches.map((b) => b.partition)).size).toBe(batches.length);
    }
  });

  it('retries a failing handle with the same batches, then commits, so a restart reads nothing again', async () => {
    const sent = await publishToEveryPartition('retry');
    const attempts: string[][] = [];
    const applied: string[] = [];
    const first = consumer('retry', async (batches) => {
      attempts.push(values(batches, 'retry'));
      if (attempts.length < 3) throw new Error('the database is away');
      applied.push(...values(batches, 'retry'));
    });
    await first.start();
    await eventually(() => expect(applied.sort()).toEqual(sent));
    // The failed call's batches came again, the same.
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[2]).toEqual(attempts[0]);
    // Stopping commits what was applied (kafkajs alone commits at most once a second, on
    // the next batch).
    await first.stop();

    const again: string[] = [];
    const second = consumer('retry', async (batches) => {
      again.push(...values(batches, 'retry'), ...values(batches, 'after'));
    });
    await second.start();
    const marker = await publishToEveryPartition('after');
    await eventually(() => expect(again.sort()).toEqual(marker));
  });

  it('commits the group offsets of the last batches once traffic stops, without a next message', async () => {
    await publishToEveryPartition('quiet');
    const topic = ctx.topic(Topics.inbound);
    const c = consumer('quiet', async () => undefined);
    await c.start();
    const admin = ctx.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      await eventually(
        async () => {
          const [committed] = await admin.fetchOffsets({
            groupId: `${ctx.topicPrefix}quiet`,
            topics: [topic],
          });
          const byPartition = new Map(committed.partitions.map((p) => [p.partition, p.offset]));
          for (const end of ends) expect(byPartition.get(end.partition)).toBe(end.high);
        },
        { timeoutMs: 15_000 },
      );
    } finally {
      await admin.disconnect();
    }
  });

  it('runs again when kafkajs stops it on an error it does not retry, and consumes what comes next', async () => {
    // After a broker restart kafkajs can crash the consumer on "failed to find the group
    // coordinator", which it deems non-retriable, and then never restarts it. The crash is
    // brought about here by the batch-done hook, the one caller code kafkajs sees fail.
    const handled: string[] = [];
    let crashed = false;
    await consumer(
      'crash',
      async (batches) => {
        handled.push(...values(batches, 'crash'), ...values(batches, 'next'));
      },
      {
        onBatchDone: () => {
          if (crashed) return;
          crashed = true;
          throw new KafkaJSNonRetriableError('Failed to find group coordinator');
        },
      },
    ).start();
    await publishToEveryPartition('crash');
    await eventually(() => expect(crashed).toBe(true));

    const next = await publishToEveryPartition('next');
    await eventually(
      () => expect(handled.filter((v) => v.startsWith('next-')).sort()).toEqual(next),
      {
        timeoutMs: 20_000,
      },
    );
  });

  it('stops cleanly between such a crash and its next run', async () => {
    let crashed = false;
    const c = consumer('crash-stop', async () => undefined, {
      // The next run waits 1 s (1 s doubling, capped by this).
      maxBackoffMs: 5_000,
      onBatchDone: () => {
        if (crashed) return;
        crashed = true;
        throw new KafkaJSNonRetriableError('Failed to find group coordinator');
      },
    });
    await c.start();
    await publishToEveryPartition('crash-stop');
    await eventually(() => expect(crashed).toBe(true));
    // kafkajs has stopped the consumer by now (it disconnects before reporting the crash).
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(c.stop()).resolves.toBeUndefined();
  });
});
