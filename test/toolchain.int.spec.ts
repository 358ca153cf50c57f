import 'reflect-metadata';
import { Controller, INestApplication, Injectable, Module } from '@nestjs/common';
import { CommandBus, CommandHandler, CqrsModule, ICommandHandler } from '@nestjs/cqrs';
import { EventPattern, MicroserviceOptions, Payload, Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { IsInt, IsString, Min, validate } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { Topics } from '@jifen/contracts';
import { migrationSchema, openServiceDataSource } from '@jifen/platform';
import { createTestContext, eventually, TestContext } from '@jifen/testing';

// The proof that the pinned toolchain works together on Node 20: a Nest application with
// @nestjs/cqrs dispatch, an @nestjs/microservices Kafka consumer, class-validator and TypeORM
// migrations on PostgreSQL, exercised over the real broker.

class CreateSmokeTable1764201600001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE ${migrationSchema(queryRunner)}.greetings (name text PRIMARY KEY, times int NOT NULL)`,
    );
  }
  async down(): Promise<void> {}
}

class Greet {
  @IsString() name!: string;
  @IsInt() @Min(1) times!: number;
}

class RecordGreeting {
  constructor(readonly greeting: Greet) {}
}

@CommandHandler(RecordGreeting)
class RecordGreetingHandler implements ICommandHandler<RecordGreeting> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}
  async execute({ greeting }: RecordGreeting): Promise<void> {
    await this.dataSource.query('INSERT INTO greetings (name, times) VALUES ($1, $2)', [
      greeting.name,
      greeting.times,
    ]);
  }
}

describe('the pinned toolchain', () => {
  let ctx: TestContext;
  let app: INestApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    ctx = await createTestContext({ topics: [Topics.inbound] });
    const topic = ctx.topic(Topics.inbound);

    @Injectable()
    @Controller()
    class GreetingsController {
      constructor(private readonly commands: CommandBus) {}

      @EventPattern(topic)
      async onGreeting(@Payload() payload: unknown): Promise<void> {
        const greeting = plainToInstance(Greet, payload);
        if ((await validate(greeting)).length > 0) return;
        await this.commands.execute(new RecordGreeting(greeting));
      }
    }

    @Module({
      imports: [
        CqrsModule.forRoot(),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres' as const }),
          dataSourceFactory: () =>
            openServiceDataSource({
              url: ctx.databaseUrl,
              schema: `${ctx.schemaPrefix}smoke`,
              migrations: [CreateSmokeTable1764201600001],
            }),
        }),
      ],
      controllers: [GreetingsController],
      providers: [RecordGreetingHandler],
    })
    class SmokeModule {}

    const moduleRef = await Test.createTestingModule({ imports: [SmokeModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    app.connectMicroservice<MicroserviceOptions>({
      transport: Transport.KAFKA,
      options: {
        client: { clientId: 'smoke', brokers: ctx.brokers },
        consumer: { groupId: `${ctx.topicPrefix}smoke`, allowAutoTopicCreation: false },
        subscribe: { fromBeginning: true },
      },
    });
    await app.startAllMicroservices();
    await app.init();
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
    await ctx?.dispose();
  });

  it('consumes a Kafka message, validates it, dispatches a command and writes PostgreSQL', async () => {
    await ctx.producer.send({
      topic: ctx.topic(Topics.inbound),
      messages: [
        { key: 'a', value: JSON.stringify({ name: 'invalid', times: 0 }) },
        { key: 'a', value: JSON.stringify({ name: 'jifen', times: 3 }) },
      ],
    });

    const rows = await eventually(async () => {
      const found: Array<{ name: string; times: number }> = await dataSource.query(
        'SELECT name, times FROM greetings',
      );
      expect(found).toHaveLength(1);
      return found;
    });
    expect(rows).toEqual([{ name: 'jifen', times: 3 }]);
  });
});
