import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsPageCursor, IsStrictDate } from '../request-fields';

export class AuditQueryDto {
  @ApiPropertyOptional({
    example: 'flag:checkout*',
    description: 'Exact match, or a prefix with one trailing * (flag:checkout* matches flag:checkout.new-flow)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  target?: string;
  @ApiPropertyOptional({ example: 'user:ada*', description: 'Exact match, or a prefix with one trailing * (token:* = every token)' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  actor?: string;
  @ApiPropertyOptional({ example: 'flag.toggled' }) @IsOptional() @IsString() @MaxLength(100) action?: string;
  @ApiPropertyOptional({ example: 'production' }) @IsOptional() @IsString() @MaxLength(64) environment?: string;
  @ApiPropertyOptional({ description: 'Lower bound (inclusive): a date, or an ISO 8601 date-time with a timezone' })
  @IsOptional()
  @IsStrictDate()
  since?: string;
  @ApiPropertyOptional({ description: 'Upper bound (exclusive): a date, or an ISO 8601 date-time with a timezone' })
  @IsOptional()
  @IsStrictDate()
  until?: string;
  @ApiPropertyOptional({ description: 'nextCursor from the previous page' }) @IsOptional() @IsPageCursor() cursor?: string;
  @ApiPropertyOptional({ default: 50, maximum: 500 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}
