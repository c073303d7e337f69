import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { PipelineSpec } from '@switchyard/deploy';

export class CreateReleaseDto {
  @ApiProperty({ example: 'main.42', description: 'The image tag this release publishes' })
  @IsString()
  @Matches(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, {
    message: 'must be an image tag: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"',
  })
  version!: string;

  @ApiPropertyOptional({ example: '4f2a9c1e0d6b8a7f3e2d1c0b9a8f7e6d5c4b3a29' })
  @IsOptional()
  @Matches(/^[0-9a-f]{7,64}$/, { message: 'must be a hexadecimal git commit id (7-64 characters)' })
  gitSha?: string;

  @ApiPropertyOptional({ example: 'main' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  branch?: string;

  @ApiPropertyOptional({ example: '42' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  buildNumber?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The parsed switchyard.yml; validated against its JSON Schema' })
  @IsOptional()
  @IsObject()
  pipeline?: PipelineSpec;
}
