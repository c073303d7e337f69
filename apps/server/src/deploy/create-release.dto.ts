import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import type { KubeObject, PipelineSpec } from '@switchyard/deploy';

/** One Kubernetes object from deploy/<environment>/, parsed from YAML by the CLI. */
export class ManifestDocumentDto {
  @ApiProperty({ example: 'staging', description: 'The environment (folder) it belongs to' })
  @Matches(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'must be an environment name (a DNS label)' })
  environment!: string;

  @ApiProperty({ example: 'deploy/staging/deployment.yaml' })
  @IsString()
  @MaxLength(1024)
  file!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The object; the rollout sets the image on it' })
  @IsObject()
  object!: KubeObject;
}

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

  @ApiPropertyOptional({ type: [ManifestDocumentDto], description: "The deploy section's manifests, for the rollout after publish" })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => ManifestDocumentDto)
  manifests?: ManifestDocumentDto[];
}
