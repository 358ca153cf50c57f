import { KafkaMessage } from 'kafkajs';
import { Histogram, Registry } from 'prom-client';
import { IntakeMetrics } from './intake-metrics';

describe('IntakeMetrics', () => {
  const doneAt = Date.parse('2026-11-29T12:00:00Z');
  const sentAt = (msAgo: number) => ({ timestamp: String(doneAt - msAgo) }) as KafkaMessage;
  const batchOf = (topic: string, messages: KafkaMessage[]) => ({
    topic,
    partition: 0,
    size: messages.length,
    lag: 0,
    durationMs: 5,
    doneAt,
    messages,
  });

  async function ages(registry: Registry) {
    const histogram = registry.getSingleMetric('jifen_message_age_seconds') as Histogram;
    const { values } = await histogram.get();
    const value = (name: string, le?: number) =>
      values.find((v) => v.metricName === name && (le === undefined || v.labels.le === le))?.value;
    return {
      count: value('jifen_message_age_seconds_count'),
      sum: value('jifen_message_age_seconds_sum'),
      within: (le: number) => value('jifen_message_age_seconds_bucket', le),
    };
  }

  it("records each message's wait, from its timestamp to its batch being done", async () => {
    const registry = new Registry();
    new IntakeMetrics(registry).batchDone(
      batchOf('loyalty.internal.commands.v1', [sentAt(40), sentAt(400), sentAt(2_000)]),
    );

    const { count, sum, within } = await ages(registry);
    expect(count).toBe(3);
    expect(sum).toBeCloseTo(2.44, 6);
    expect([within(0.025), within(0.05), within(0.5), within(2.5)]).toEqual([0, 1, 2, 3]);
  });

  it("counts a timestamp ahead of this service's clock as no wait, not a negative one", async () => {
    const registry = new Registry();
    // An upstream producer whose clock runs 3 s ahead.
    new IntakeMetrics(registry).batchDone(batchOf('loyalty.inbound.v1', [sentAt(-3_000)]));

    const { count, sum, within } = await ages(registry);
    expect([count, sum, within(0.005)]).toEqual([1, 0, 1]);
  });
});
