import { Body, Controller, Get, Post } from '@nestjs/common';
import { IsISO8601, IsObject } from 'class-validator';
import { programAt, ProgramVersion } from '@jifen/ledger';
import { ApiError, Roles } from '@jifen/platform';
import { ProgramVersions, RulesRefused } from './program-versions';
import { nextProgramVersion } from './rules-document';

export class PublishRulesDto {
  /** When the new version comes into force (RFC 3339); must lie in the future. */
  @IsISO8601({ strict: true, strictSeparator: true })
  effectiveFrom!: string;

  /** The rules that change, in the shape of GET /rules; the rest is kept from the latest version. */
  @IsObject()
  rules!: Record<string, unknown>;
}

export interface RulesView extends ProgramVersion {
  /** Published versions not yet in force, oldest first. */
  upcoming: ProgramVersion[];
}

/** The program as data: the version in force now, and publishing the next one. */
@Controller()
export class RulesController {
  constructor(private readonly versions: ProgramVersions) {}

  @Get('rules')
  async current(): Promise<RulesView> {
    const program = await this.versions.program();
    const now = new Date().toISOString();
    const current = programAt(program, now);
    return {
      ...current,
      upcoming: program.versions.filter((v) => Date.parse(v.effectiveFrom) > Date.parse(now)),
    };
  }

  @Post('admin/rules')
  @Roles('admin')
  async publish(@Body() body: PublishRulesDto): Promise<ProgramVersion> {
    const effectiveFrom = new Date(body.effectiveFrom).toISOString();
    try {
      return await this.versions.publish((latest, version) => {
        const next = nextProgramVersion(latest, body.rules, version, effectiveFrom);
        if (next.problems.length > 0) throw new RulesRefused(next.problems.join('; '));
        return next.version;
      }, new Date());
    } catch (error) {
      if (error instanceof RulesRefused) throw new ApiError(400, 'invalid', error.message);
      throw error;
    }
  }
}
