import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BatchDone } from './batch-consumer';
import { Tally } from './intake-stats';

/**
 * The intake's Prometheus metrics: the same counters as `GET /stats` (added after each batch
 * commits), consumer lag per partition, batch latency, and each message's age when its batch
 * was done.
 */
export class IntakeMetrics {
  private readonly messages: Counter<'event_type' | 'outcome' | 'reason'>;
  private readonly lag: Gauge<'topic' | 'partition'>;
  private readonly batchSeconds: Histogram<'topic'>;
  private readonly ageSeconds: Histogram<'topic'>;

  constructor(registry: Registry) {
    this.messages = new Counter({
      name: 'jifen_intake_messages_total',
      help: 'Inbound messages by event type and outcome (received, forwarded or applied, duplicates, dead_lettered with its reason)',
      labelNames: ['event_type', 'outcome', 'reason'],
      registers: [registry],
    });
    this.lag = new Gauge({
      name: 'jifen_consumer_lag_messages',
      help: 'Messages behind the partition end after the last batch',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    });
    this.batchSeconds = new Histogram({
      name: 'jifen_batch_duration_seconds',
      help: 'Time to apply and commit one batch',
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.ageSeconds = new Histogram({
      name: 'jifen_message_age_seconds',
      help: "From a message's timestamp on its topic to its batch being applied and committed here: this stage's share of publish-to-visible",
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    });
  }

  /** After the batch's transaction committed. */
  count(tally: Tally): void {
    for (const { eventType, counter, n } of tally.entries()) {
      if (eventType === '') continue;
      const [outcome, reason = ''] = counter.split(':');
      this.messages.inc({ event_type: eventType, outcome, reason }, n);
    }
  }

  batchDone({ topic, partition, lag, durationMs, messages, doneAt }: BatchDone): void {
    this.lag.set({ topic, partition: String(partition) }, lag);
    this.batchSeconds.observe({ topic }, durationMs / 1000);
    // A timestamp is the producer's clock (CreateTime): one ahead of ours counts as no wait.
    const ages = this.ageSeconds.labels({ topic });
    for (const { timestamp } of messages)
      ages.observe(Math.max(0, doneAt - Number(timestamp)) / 1000);
  }
}
