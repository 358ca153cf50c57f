import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

export class CashOffsetBody {
  @IsString() @IsNotEmpty() @MaxLength(128) orderId!: string;
  @IsInt() @Min(1) @Max(100_000_000) points!: number;
}

/**
 * `POST /redemptions`: either `itemId` with `mode` (and `points` for points + cash), or
 * `cashOffset`. `redemptionId` is the idempotency key.
 */
export class RedemptionBody {
  @IsString() @IsNotEmpty() @MaxLength(128) redemptionId!: string;
  @IsString() @IsNotEmpty() @MaxLength(128) memberId!: string;

  @ValidateIf((body: RedemptionBody) => body.cashOffset === undefined)
  @IsString({ message: 'itemId (with mode) or cashOffset is required' })
  @IsNotEmpty()
  @MaxLength(64)
  itemId?: string;

  @ValidateIf((body: RedemptionBody) => body.cashOffset === undefined)
  @IsIn(['points', 'points_plus_cash'], { message: 'mode must be "points" or "points_plus_cash"' })
  mode?: 'points' | 'points_plus_cash';

  @ValidateIf((body: RedemptionBody) => body.mode === 'points_plus_cash')
  @IsInt({ message: 'points must be a whole number of points for points_plus_cash' })
  @Min(1)
  @Max(100_000_000)
  points?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => CashOffsetBody)
  cashOffset?: CashOffsetBody;
}

export class PaymentBody {
  @IsBoolean({ message: 'paid must be true or false' }) paid!: boolean;
}
