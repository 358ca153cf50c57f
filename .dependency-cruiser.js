/**
 * Layers enforced by a tool: the pure domain (libs/ledger) knows nothing of NestJS, storage
 * or transport, and libraries never reach into apps. Run by `npm run lint`.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'ledger-is-pure',
      comment:
        'libs/ledger holds the program rules as plain functions; NestJS, TypeORM, kafkajs and pg ' +
        'belong at the edges (apps, libs/event-store, libs/messaging).',
      severity: 'error',
      from: { path: '^libs/ledger/' },
      to: {
        path: [
          'node_modules/@nestjs/',
          'node_modules/typeorm/',
          'node_modules/kafkajs/',
          'node_modules/pg/',
          'node_modules/pg-',
          'node_modules/class-validator/',
          '^libs/(event-store|messaging|platform|testing)/',
          '^apps/',
        ],
      },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'apps-do-not-import-each-other',
      comment: 'Services talk over Kafka and HTTP; shared code lives in libs/.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^dist/' },
  },
};
