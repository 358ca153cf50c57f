import { Controller, Get, Param, Post } from '@nestjs/common';
import { ApiError, Roles } from '@jifen/platform';
import { AllianceService, PartnerStatement } from './alliance.service';

const datePattern = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

@Controller()
export class AllianceController {
  constructor(private readonly alliance: AllianceService) {}

  /** The day's reconciliation with a partner (CONTRACT.md section 5). */
  @Get('alliance/partners/:partnerId/statements/:date')
  @Roles('admin', 'analyst')
  async statement(
    @Param('partnerId') partnerId: string,
    @Param('date') date: string,
  ): Promise<PartnerStatement> {
    checkDate(date);
    const report = await this.alliance.statement(partnerId, date);
    if (!report)
      throw new ApiError(404, 'unknown_partner', `"${partnerId}" is not a partner of the alliance`);
    return report;
  }

  /** Publishes our signed statement of the day on the outbound topic. */
  @Post('admin/alliance/partners/:partnerId/statements/:date')
  @Roles('admin')
  async publish(
    @Param('partnerId') partnerId: string,
    @Param('date') date: string,
  ): Promise<PartnerStatement> {
    checkDate(date);
    const report = await this.alliance.publishStatement(partnerId, date);
    if (!report)
      throw new ApiError(404, 'unknown_partner', `"${partnerId}" is not a partner with a key here`);
    return report;
  }
}

function checkDate(date: string): void {
  // A day that does not exist (2026-02-30) matches the pattern and failed in SQL: a 500.
  const exists =
    datePattern.test(date) && new Date(`${date}T00:00:00Z`).toISOString().startsWith(date);
  if (!exists) throw new ApiError(400, 'invalid', 'date must be a day as YYYY-MM-DD');
}
