import { Admin, Kafka, logLevel } from 'kafkajs';
import { KafkaSettings } from './kafka';

/**
 * Asks the cluster for its metadata within `timeoutMs`; resolves when at least one broker
 * answers, rejects with the reason otherwise. Used by the start-up probe and by `/health`.
 */
export async function probeKafka(
  settings: Pick<KafkaSettings, 'brokers' | 'clientId'>,
  timeoutMs = 3000,
): Promise<void> {
  const admin = quietAdmin(settings, timeoutMs);
  try {
    await withTimeout(
      (async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length === 0) throw new Error('the cluster lists no brokers');
      })(),
      timeoutMs,
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * A long-lived admin connection for health checks: connecting once keeps `/health` cheap
 * when a load balancer or kubelet polls it every few seconds.
 */
export class KafkaHealthCheck {
  private admin?: Admin;

  constructor(
    private readonly settings: Pick<KafkaSettings, 'brokers' | 'clientId'>,
    private readonly timeoutMs = 2000,
  ) {}

  async check(): Promise<void> {
    this.admin ??= quietAdmin(this.settings, this.timeoutMs);
    const admin = this.admin;
    try {
      await withTimeout(
        (async () => {
          await admin.connect();
          await admin.describeCluster();
        })(),
        this.timeoutMs,
      );
    } catch (error) {
      // Start from a fresh connection next time rather than a half-open one.
      this.admin = undefined;
      await admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}

function quietAdmin(
  settings: Pick<KafkaSettings, 'brokers' | 'clientId'>,
  timeoutMs: number,
): Admin {
  return new Kafka({
    clientId: `${settings.clientId}-health`,
    brokers: settings.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
