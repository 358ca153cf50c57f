import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Topics } from '@jifen/contracts';
import { serviceConfigFromEnv } from '@jifen/platform';
import {
  cloudEvent,
  createTestContext,
  eventually,
  publishCloudEvents,
  randomMemberId,
  TestContext,
} from '@jifen/testing';
import { IngestionModule } from '../ingestion.module';
import { Inbox } from './inbox';

describe('ingestion over the real broker', () => {
  let ctx: TestContext;
  let app: INestApplication;

  beforeAll(async () => {
    ctx = await createTestContext({ topics: [Topics.inbound] });
    const config = serviceConfigFromEnv('ingestion', ctx.env({ INGESTION_PORT: '0' }));
    app = await NestFactory.create(IngestionModule.forRoot(config), { logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await ctx?.dispose();
  });

  it('consumes a CloudEvent published to loyalty.inbound.v1 and counts it once', async () => {
    const memberId = randomMemberId();
    const signUp = cloudEvent('member.signed_up', { memberId });
    await publishCloudEvents(ctx.producer, ctx.topic(Topics.inbound), [signUp, signUp]);

    const inbox = app.get(Inbox);
    await eventually(async () =>
      expect(await inbox.countsByType()).toEqual({ 'member.signed_up': 1 }),
    );
  });
});
