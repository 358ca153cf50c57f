import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { prepared, Queryable, SERVICE_POOL, withTransaction } from '@jifen/event-store';
import { LedgerConfig, Program, ProgramVersion, RETAIL_CHAIN_V1 } from '@jifen/ledger';
import { SERVICE_CONFIG, ServiceConfig } from '@jifen/platform';

/**
 * The program as the ledger judges it: version 1 (RETAIL_CHAIN_V1, in force from 2000-01-01)
 * and every version published since through `POST /admin/rules`, stored in accounts' schema.
 * The commands consumer reads them in each batch's transaction, so every instance judges a
 * command by the versions published before it, in the program's time zone (JIFEN_TIMEZONE).
 */
@Injectable()
export class ProgramVersions {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(SERVICE_POOL) private readonly pool: Pool,
  ) {}

  async program(db: Queryable = this.pool): Promise<Program> {
    const { rows } = await db.query<{ document: ProgramVersion }>(
      prepared('SELECT document FROM program_versions ORDER BY version', []),
    );
    return { versions: [RETAIL_CHAIN_V1, ...rows.map((row) => row.document)] };
  }

  async ledgerConfig(db: Queryable = this.pool): Promise<LedgerConfig> {
    return { program: await this.program(db), timeZone: this.config.timezone };
  }

  /**
   * Stores `document` as the next version. `effectiveFrom` must lie after the request's time
   * and after every published version, so no command already judged would be judged otherwise.
   */
  async publish(
    build: (latest: ProgramVersion, version: number) => ProgramVersion,
    now: Date,
  ): Promise<ProgramVersion> {
    return withTransaction(this.pool, async (db) => {
      // One publisher at a time: the version numbers and the order of effectiveFrom hold.
      await db.query('LOCK TABLE program_versions IN SHARE ROW EXCLUSIVE MODE');
      const { versions } = await this.program(db);
      const latest = versions[versions.length - 1];
      const document = build(latest, latest.version + 1);
      if (Date.parse(document.effectiveFrom) <= now.getTime()) {
        throw new RulesRefused('effectiveFrom must lie in the future: points already judged stay');
      }
      if (Date.parse(document.effectiveFrom) <= Date.parse(latest.effectiveFrom)) {
        throw new RulesRefused(
          `effectiveFrom must come after version ${latest.version}'s (${latest.effectiveFrom})`,
        );
      }
      await db.query(
        'INSERT INTO program_versions (version, effective_from, document) VALUES ($1, $2, $3)',
        [document.version, document.effectiveFrom, JSON.stringify(document)],
      );
      return document;
    });
  }
}

export class RulesRefused extends Error {}
