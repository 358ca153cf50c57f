// class-transformer's @Type needs the Reflect metadata API, wherever this module is loaded from.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

// The `data` of each inbound event type (CONTRACT.md section 3), validated with
// class-validator. The JSON Schemas in docs/schemas/ are generated from these classes.
// Identifiers are capped at 128 characters and money at Number.MAX_SAFE_INTEGER minor units,
// so that every accepted value is stored and summed exactly.

const maxId = 128;
const maxMinor = Number.MAX_SAFE_INTEGER;
const id = { message: '$property must be a non-empty string of at most 128 characters' };
const positiveMinor = { message: '$property must be a positive integer (minor units)' };
/**
 * Applies property checks so that they run in the order listed: with `stopAtFirstError`,
 * class-validator reports the check registered first, and stacked decorators register
 * bottom-up. A type check must answer before a range check ("must be a positive integer",
 * not "is too large", for the string "100").
 */
function inOrder(...checks: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => checks.forEach((check) => check(target, key));
}

const positiveMinorAmount = () =>
  inOrder(
    IsInt(positiveMinor),
    IsPositive(positiveMinor),
    Max(maxMinor, { message: '$property is too large' }),
  );

const birthday =
  /^(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31|02-29)$/;

export class MemberSignedUpData {
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) memberId!: string;

  @IsOptional()
  @IsString({ message: '$property must be a date as "MM-DD"' })
  @Matches(birthday, { message: '$property must be a date as "MM-DD"' })
  birthday?: string;

  @IsOptional() @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) referrerId?: string;
}

export class MemberProfileCompletedData {
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) memberId!: string;

  @IsOptional()
  @IsString({ message: '$property must be a date as "MM-DD"' })
  @Matches(birthday, { message: '$property must be a date as "MM-DD"' })
  birthday?: string;
}

export class PurchaseItem {
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) sku!: string;
  @IsOptional() @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) category?: string;

  @inOrder(
    IsInt({ message: '$property must be a positive integer' }),
    IsPositive({ message: '$property must be a positive integer' }),
    Max(1_000_000, { message: '$property must be at most 1,000,000' }),
  )
  quantity!: number;

  @inOrder(
    IsInt({ message: '$property must be an integer of at least 0 (minor units)' }),
    Min(0, { message: '$property must be an integer of at least 0 (minor units)' }),
    Max(maxMinor, { message: '$property is too large' }),
  )
  unitPriceMinor!: number;
}

export class PurchaseCompletedData {
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) memberId!: string;
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) orderId!: string;

  @positiveMinorAmount()
  amountMinor!: number;

  @IsString({ message: '$property must be an ISO 4217 code such as "CNY"' })
  @IsNotEmpty({ message: '$property must be an ISO 4217 code such as "CNY"' })
  currency!: string;

  @IsOptional() @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) storeId?: string;

  @IsOptional()
  @IsIn(['online', 'offline'], { message: '$property must be "online" or "offline"' })
  channel?: 'online' | 'offline';

  @IsOptional()
  @IsArray({ message: '$property must be an array of items' })
  @ValidateNested({ each: true })
  @Type(() => PurchaseItem)
  items?: PurchaseItem[];
}

export class PurchaseRefundedData {
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) memberId!: string;
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) orderId!: string;
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) refundId!: string;

  @positiveMinorAmount()
  amountMinor!: number;
}

export class ContentSharedData {
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) memberId!: string;
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) shareId!: string;
  @IsOptional() @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) channel?: string;
}

export class ReviewPostedData {
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) memberId!: string;
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) reviewId!: string;
  @IsOptional() @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) orderId?: string;
}

export class MemberCheckedInData {
  @IsString(id) @IsNotEmpty(id) @MaxLength(maxId, id) memberId!: string;
}

/** Every inbound `type` of the contract and the class its `data` must satisfy. */
export const InboundDataClasses = {
  'member.signed_up': MemberSignedUpData,
  'member.profile_completed': MemberProfileCompletedData,
  'purchase.completed': PurchaseCompletedData,
  'purchase.refunded': PurchaseRefundedData,
  'content.shared': ContentSharedData,
  'review.posted': ReviewPostedData,
  'member.checked_in': MemberCheckedInData,
} as const;

export type InboundType = keyof typeof InboundDataClasses;
export const InboundTypes = Object.keys(InboundDataClasses) as InboundType[];

export interface InboundDataByType {
  'member.signed_up': MemberSignedUpData;
  'member.profile_completed': MemberProfileCompletedData;
  'purchase.completed': PurchaseCompletedData;
  'purchase.refunded': PurchaseRefundedData;
  'content.shared': ContentSharedData;
  'review.posted': ReviewPostedData;
  'member.checked_in': MemberCheckedInData;
}

export function isInboundType(type: string): type is InboundType {
  return Object.prototype.hasOwnProperty.call(InboundDataClasses, type);
}
