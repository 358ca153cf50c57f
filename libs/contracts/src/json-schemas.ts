// Generates the JSON Schemas of the inbound topic from the class-validator DTOs, so that the
// documented contract and the validating code cannot drift. Not exported from the library's
// index: it needs class-validator-jsonschema, a development dependency.
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { InboundDataClasses, InboundTypes } from './inbound/data';
import { MaxInboundBytes } from './inbound/parse';
import { RejectionReasons } from './inbound/reasons';

// class-transformer keeps its metadata storage out of its typed entry points.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: unknown;
};

type Schema = Record<string, unknown>;

export function inboundSchemas(): Record<string, Schema> {
  const definitions = validationMetadatasToSchemas({
    refPointerPrefix: '#/$defs/',
    // Resolves @Type(() => PurchaseItem) for nested arrays.
    classTransformerMetadataStorage: defaultMetadataStorage as never,
    // Range checks here always follow @IsInt; the default converters would turn its
    // `integer` back into `number`.
    additionalConverters: {
      isPositive: { exclusiveMinimum: 0 },
      min: (meta) => ({ minimum: meta.constraints[0] }),
      max: (meta) => ({ maximum: meta.constraints[0] }),
    },
  }) as Record<string, Schema>;
  const used = Object.fromEntries(
    Object.entries(definitions).filter(([name]) =>
      [...Object.values(InboundDataClasses).map((c) => c.name), 'PurchaseItem'].includes(name),
    ),
  );

  const envelope: Schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://jifen.dev/schemas/loyalty.inbound.v1.json',
    title: 'loyalty.inbound.v1: a CloudEvents 1.0 structured event',
    description:
      `Kafka key = the member id. At most ${MaxInboundBytes} bytes. ` +
      'A message that fails is dead-lettered with one of: ' +
      RejectionReasons.join(', ') +
      ' (first in that order wins).',
    type: 'object',
    required: ['specversion', 'id', 'source', 'type', 'time', 'subject', 'data'],
    properties: {
      specversion: { const: '1.0' },
      id: { type: 'string', minLength: 1, description: 'unique per source' },
      source: { type: 'string', minLength: 1, examples: ['pos/store-12'] },
      type: { enum: InboundTypes },
      time: { type: 'string', format: 'date-time', description: 'RFC 3339; when it happened' },
      subject: {
        type: 'string',
        minLength: 1,
        maxLength: 128,
        description: 'the member id; equals data.memberId',
      },
      datacontenttype: { const: 'application/json' },
      data: { type: 'object' },
    },
    allOf: InboundTypes.map((type) => ({
      if: { properties: { type: { const: type } } },
      then: { properties: { data: { $ref: `#/$defs/${InboundDataClasses[type].name}` } } },
    })),
    $defs: used,
  };

  const deadLetter: Schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://jifen.dev/schemas/loyalty.inbound.dlq.v1.json',
    title: 'loyalty.inbound.dlq.v1: an inbound message that was not applied',
    type: 'object',
    required: ['original', 'key', 'topic', 'partition', 'offset', 'reason', 'detail', 'failedAt'],
    properties: {
      original: { type: 'string', contentEncoding: 'base64', description: "the message's bytes" },
      key: { type: ['string', 'null'] },
      topic: { type: 'string' },
      partition: { type: 'integer', minimum: 0 },
      offset: { type: 'string', pattern: '^[0-9]+$' },
      reason: { enum: [...RejectionReasons] },
      detail: { type: 'string', description: 'a sentence a person can act on' },
      failedAt: { type: 'string', format: 'date-time' },
    },
  };

  return {
    'loyalty.inbound.v1.json': envelope,
    'loyalty.inbound.dlq.v1.json': deadLetter,
  };
}

export function serialise(schema: Schema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
