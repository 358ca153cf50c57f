import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Client, Pool } from 'pg';
import { Queryable, SERVICE_POOL } from '@jifen/event-store';
import { quoteIdent, SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';
import { RedemptionsService } from './redemptions.service';

/** The channel outcomes are announced on, per schema (two platforms may share a database). */
export const outcomesChannel = (schema: string) => `redemption-outcomes.${schema}`.slice(0, 63);

/** Below PostgreSQL's 8,000-byte limit on a notification's payload. */
const payloadBytes = 7_000;

/**
 * Announces, inside the consumer's transaction (so at its commit, and only if it commits), the
 * redemptions whose outcome it applied. Ids are joined by newlines, which they cannot hold.
 */
export async function announceOutcomes(
  db: Queryable,
  schema: string,
  redemptionIds: string[],
): Promise<void> {
  const payloads: string[] = [];
  let current = '';
  for (const id of redemptionIds) {
    if (current && Buffer.byteLength(current) + Buffer.byteLength(id) + 1 > payloadBytes) {
      payloads.push(current);
      current = '';
    }
    current = current ? `${current}\n${id}` : id;
  }
  if (current) payloads.push(current);
  if (payloads.length === 0) return;
  await db.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [
    outcomesChannel(schema),
    payloads,
  ]);
}

/**
 * Wakes this instance's requests waiting on a redemption when any instance's consumer commits
 * its outcome: each instance LISTENs on a connection of its own. Before, a request learnt of
 * another instance's commit only by reading its row again every 100 ms, which was most of the
 * statements of 50 clients redeeming on one member. A lost connection is opened again; the
 * waiting requests still look every second meanwhile.
 */
@Injectable()
export class OutcomeNotices implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutcomeNotices.name);
  private client?: Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    @Inject(SERVICE_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly redemptions: RedemptionsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client(this.pool.options);
    const again = (error: Error) => {
      if (this.client !== client || this.stopped) return;
      this.client = undefined;
      this.logger.warn(`outcome notices interrupted (${error.message}); listening again in 1 s`);
      client.end().catch(() => undefined);
      this.retry = setTimeout(() => void this.listen(), 1_000);
    };
    this.client = client;
    client.on('error', again);
    client.on('end', () => again(new Error('connection ended')));
    client.on('notification', ({ payload }) => {
      if (payload) this.redemptions.outcomesCommitted(payload.split('\n'));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(outcomesChannel(this.config.schema))}`);
    } catch (error) {
      again(error as Error);
    }
  }
}
