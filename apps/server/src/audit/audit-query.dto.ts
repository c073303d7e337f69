import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class AuditQueryDto {
  @ApiPropertyOptional({ example: 'flag:checkout.new-flow' }) @IsOptional() @IsString() @MaxLength(300) target?: string;
  @ApiPropertyOptional({ example: 'token:ci' }) @IsOptional() @IsString() @MaxLength(300) actor?: string;
  @ApiPropertyOptional({ example: 'flag.toggled' }) @IsOptional() @IsString() @MaxLength(100) action?: string;
  @ApiPropertyOptional({ example: 'production' }) @IsOptional() @IsString() @MaxLength(64) environment?: string;
  @ApiPropertyOptional({ description: 'ISO-8601 lower bound (inclusive)' }) @IsOptional() @IsISO8601() since?: string;
  @ApiPropertyOptional({ description: 'ISO-8601 upper bound (exclusive)' }) @IsOptional() @IsISO8601() until?: string;
  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional()
  @Matches(/^\d{1,19}$/, { message: 'must be a cursor returned by a previous page' })
  cursor?: string;
  @ApiPropertyOptional({ default: 50, maximum: 500 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}
