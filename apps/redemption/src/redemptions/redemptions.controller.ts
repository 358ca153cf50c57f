import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiError, Roles } from '@jifen/platform';
import { RedemptionBody, PaymentBody } from './redemption.dto';
import { RedemptionAnswer } from './redemption-answer';
import { RedemptionsService } from './redemptions.service';
import { RedemptionRequest } from './pricing';

/** The part of Express's response the controller sets (no @types/express here). */
interface Response {
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
}

const unprocessable = new Set([
  'below_minimum',
  'insufficient_points',
  'out_of_stock',
  'points_share_too_high',
  'item_inactive',
  'unknown_item',
  'no_cash_price',
]);

@Controller('redemptions')
export class RedemptionsController {
  constructor(private readonly redemptions: RedemptionsService) {}

  @Post()
  @Roles('member-app')
  async create(
    @Body() body: RedemptionBody,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RedemptionAnswer> {
    if (body.cashOffset && body.itemId !== undefined) {
      throw new ApiError(400, 'invalid', 'give either itemId with mode, or cashOffset, not both');
    }
    const request: RedemptionRequest = body.cashOffset
      ? { mode: 'cash_offset', orderId: body.cashOffset.orderId, points: body.cashOffset.points }
      : body.mode === 'points_plus_cash'
        ? { mode: 'points_plus_cash', itemId: body.itemId!, points: body.points! }
        : { mode: 'points', itemId: body.itemId! };
    return this.respond(
      await this.redemptions.request(body.redemptionId, body.memberId, request),
      response,
    );
  }

  @Get(':redemptionId')
  @Roles('member-app', 'admin')
  async get(@Param('redemptionId') redemptionId: string): Promise<RedemptionAnswer> {
    const answer = await this.redemptions.answer(redemptionId);
    if (!answer) throw new ApiError(404, 'unknown_redemption', `no redemption "${redemptionId}"`);
    return answer;
  }

  @Post(':redemptionId/payment')
  @Roles('member-app')
  @HttpCode(200)
  async payment(
    @Param('redemptionId') redemptionId: string,
    @Body() body: PaymentBody,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RedemptionAnswer> {
    const answer = await this.redemptions.pay(redemptionId, body.paid);
    if (!answer) throw new ApiError(404, 'unknown_redemption', `no redemption "${redemptionId}"`);
    return this.respond(answer, response, 200);
  }

  /** 201 (or 200) when settled, 202 while pending, 422 with the reason when refused. */
  private respond(answer: RedemptionAnswer, response: Response, settled = 201): RedemptionAnswer {
    if (answer.status === 'refused') {
      const status = unprocessable.has(answer.reason ?? '') ? 422 : 409;
      throw new ApiError(
        status,
        answer.reason ?? 'refused',
        answer.detail ?? 'the redemption was refused',
      );
    }
    if (answer.status === 'pending') {
      response.status(202);
      response.setHeader('Location', `/redemptions/${encodeURIComponent(answer.redemptionId)}`);
    } else {
      response.status(settled);
    }
    return answer;
  }
}
