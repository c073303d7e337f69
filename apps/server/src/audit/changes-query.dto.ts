import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { CHANGE_KINDS, parseLookback, type ChangeKind } from '@switchyard/audit';
import { IsPageCursor, IsPrintable, parseStrictDate } from '../request-fields';

/** `30m`, `2h`, `7d` back from now, or a date / ISO 8601 date-time with a timezone. */
export function parseSince(value: string, now = new Date()): Date | undefined {
  return parseLookback(value, now) ?? parseStrictDate(value);
}

function IsSince(): PropertyDecorator {
  return ValidateBy({
    name: 'isSince',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseSince(value) !== undefined,
      defaultMessage: () => 'must be a duration back from now (30m, 2h, 7d) or an ISO 8601 date-time with a timezone (2024-05-01T12:00:00Z)',
    },
  });
}

export class ChangesQueryDto {
  @ApiPropertyOptional({ example: 'production' }) @IsOptional() @IsString() @MaxLength(64) @IsPrintable() environment?: string;
  @ApiPropertyOptional({ example: 'quotes', description: 'The deployed service the change belongs to' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @IsPrintable()
  service?: string;
  @ApiPropertyOptional({ enum: CHANGE_KINDS, example: 'verdict' }) @IsOptional() @IsIn(CHANGE_KINDS) kind?: ChangeKind;
  @ApiPropertyOptional({ example: 'user:ada*', description: 'Exact match, or a prefix with one trailing * (system:* = the engine)' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  @IsPrintable()
  actor?: string;
  @ApiPropertyOptional({ example: '30m', description: 'Lower bound (inclusive): 30m, 2h, 7d back from now, or an ISO 8601 date-time with a timezone' })
  @IsOptional()
  @IsSince()
  since?: string;
  @ApiPropertyOptional({ description: 'nextCursor from the previous page' }) @IsOptional() @IsPageCursor() cursor?: string;
  @ApiPropertyOptional({ default: 50, maximum: 200 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}
