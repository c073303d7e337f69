import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { ROLLOUT_STATUSES, type RolloutStatus } from '@switchyard/deploy';
import { SERVICE_NAME } from './service-name.pipe';

export class StartRolloutDto {
  @ApiPropertyOptional({ default: false, description: "Abort the rollouts holding this service's environments instead of answering 409" })
  @IsOptional()
  @IsBoolean()
  supersede?: boolean;
}

/** An approval or an abort: who decided is the caller; why is the comment, kept in the audit trail. */
export class GateDecisionDto {
  @ApiProperty({ example: 'staging looks good; error budget is fine' })
  @IsString()
  @MinLength(1, { message: 'must say why' })
  @MaxLength(2000)
  comment!: string;
}

export class PlanReleaseDto {
  @ApiPropertyOptional({ example: 'production', description: 'One environment; default: every environment of the pipeline' })
  @IsOptional()
  @Matches(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'must be an environment name (a DNS label)' })
  environment?: string;
}

export class RollbackEnvironmentDto {
  @ApiProperty({ example: 'p99 latency doubled after main.42' })
  @IsString()
  @MinLength(1, { message: 'must say why' })
  @MaxLength(2000)
  reason!: string;

  @ApiPropertyOptional({ description: "A release from the environment's history; default: the previous successful one" })
  @IsOptional()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'must be a release id' })
  toRelease?: string;

  @ApiPropertyOptional({ default: false, description: 'Abort a rollout holding the environment instead of answering 409' })
  @IsOptional()
  @IsBoolean()
  supersede?: boolean;
}

export class ListRolloutsQuery {
  @ApiPropertyOptional({ example: 'market-data' }) @IsOptional() @Matches(SERVICE_NAME, { message: 'must be a service name (a DNS label)' }) service?: string;

  @ApiPropertyOptional({ description: 'Comma-separated statuses', example: 'running,waiting' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').filter(Boolean) : value))
  @IsIn(ROLLOUT_STATUSES, { each: true })
  status?: RolloutStatus[];

  @ApiPropertyOptional({ default: 20, maximum: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
}
