import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class AcceptPolicyDto {
  @ApiProperty({ description: 'The release whose pipeline file proposes the policy (the one its rollout was refused for)' })
  @IsUUID()
  releaseId!: string;
}
