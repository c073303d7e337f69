import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { REPORTED_STAGE_STATUSES, type ReportedStageStatus } from '@switchyard/deploy';

export class FailedCaseDto {
  @ApiProperty() @IsString() @MaxLength(1000) name!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) classname?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) suite?: string;
  @ApiProperty({ enum: ['failure', 'error'] }) @IsIn(['failure', 'error']) kind!: 'failure' | 'error';
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(4000) message?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) type?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(8000) detail?: string;
}

export class TestSummaryDto {
  @ApiProperty() @IsInt() @Min(0) tests!: number;
  @ApiProperty() @IsInt() @Min(0) passed!: number;
  @ApiProperty() @IsInt() @Min(0) failures!: number;
  @ApiProperty() @IsInt() @Min(0) errors!: number;
  @ApiProperty() @IsInt() @Min(0) skipped!: number;
  @ApiProperty() @IsNumber() @Min(0) timeSeconds!: number;

  @ApiProperty({ type: [FailedCaseDto] })
  @IsArray()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => FailedCaseDto)
  failedCases!: FailedCaseDto[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export class StageArtifactsDto {
  @ApiPropertyOptional({ example: 'buildah' }) @IsOptional() @IsIn(['buildah', 'docker']) builder?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(DIGEST, { message: 'must be a sha256 digest' }) imageId?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(DIGEST, { message: 'must be a sha256 digest' }) localDigest?: string;
  @ApiPropertyOptional({ example: '127.0.0.1:5000/team/market-data:main.42' }) @IsOptional() @IsString() @MaxLength(512) imageReference?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(DIGEST, { message: 'must be a sha256 digest' }) imageDigest?: string;
}

/** A stage report from CI. Sending the same report twice is harmless. */
export class ReportStageDto {
  @ApiProperty({ enum: REPORTED_STAGE_STATUSES })
  @IsIn(REPORTED_STAGE_STATUSES)
  status!: ReportedStageStatus;

  @ApiPropertyOptional({ description: 'The end of the stage output (at most 64 KiB)' })
  @IsOptional()
  @IsString()
  @MaxLength(65_536)
  logTail?: string;

  @ApiPropertyOptional({ description: 'Why the stage failed' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  error?: string;

  @ApiPropertyOptional({ type: TestSummaryDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => TestSummaryDto)
  testSummary?: TestSummaryDto;

  @ApiPropertyOptional({ type: StageArtifactsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => StageArtifactsDto)
  artifacts?: StageArtifactsDto;
}
