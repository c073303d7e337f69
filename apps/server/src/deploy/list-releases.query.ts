import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { RELEASE_STATUSES, type ReleaseStatus } from '@switchyard/deploy';
import { IsPageCursor } from '../request-fields';
import { SERVICE_NAME } from './service-name.pipe';

export class ListReleasesQuery {
  @ApiPropertyOptional({ enum: RELEASE_STATUSES }) @IsOptional() @IsIn(RELEASE_STATUSES) status?: ReleaseStatus;
  @ApiPropertyOptional({ example: 'main' }) @IsOptional() @IsString() @MaxLength(255) branch?: string;
  @ApiPropertyOptional({ description: 'A git commit id or its prefix' })
  @IsOptional()
  @Matches(/^[0-9a-f]{4,64}$/, { message: 'must be a hexadecimal git commit id or prefix' })
  gitSha?: string;
  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional()
  @IsPageCursor()
  cursor?: string;
  @ApiPropertyOptional({ default: 20, maximum: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
}

export class ListAllReleasesQuery extends ListReleasesQuery {
  @ApiPropertyOptional({ example: 'market-data' }) @IsOptional() @Matches(SERVICE_NAME, { message: 'must be a service name (a DNS label)' }) service?: string;
}
