import { IsInt, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

/** POST /members/{memberId}/transfers. Limits (≥ 1, 10,000, daily) are the ledger's: 422. */
export class TransferPointsDto {
  /** The idempotency key: the same transferId again returns the first answer. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/^[\x21-\x7e]+$/, { message: 'transferId must be printable ASCII without spaces' })
  transferId!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  toMemberId!: string;

  @IsInt()
  points!: number;
}
