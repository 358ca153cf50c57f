import {
  IsBoolean,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';

export class CatalogueQuery {
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(64) category?: string;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(128) memberId?: string;
}

/** `POST /admin/catalogue`: creates or updates an item. */
export class CatalogueItemBody {
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, {
    message: 'itemId must be lower-case letters, digits and dashes (at most 64)',
  })
  itemId!: string;
  @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  @IsString() @IsNotEmpty() @MaxLength(64) category!: string;
  @IsInt() @Min(1) @Max(100_000_000) pointsPrice!: number;
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  cashPriceMinor?: number | null;
  @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) unitCostMinor!: number;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsInt() @Min(0) @Max(100_000_000) stock?:
    number | null;
  @IsOptional() @IsBoolean() active?: boolean;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsISO8601({ strict: true }) activeFrom?:
    string | null;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsISO8601({ strict: true }) activeUntil?:
    string | null;
}
