import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export class CreateTokenDto {
  @ApiProperty({ example: 'ci-deployer' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty({ example: ['deploy'], description: 'admin, flags:write, flags:read, deploy, deploy:read, approve, or sdk:<environment>' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Matches(/^(admin|flags:write|flags:read|deploy|deploy:read|approve|sdk:[a-z0-9][a-z0-9_-]{0,63})$/, {
    each: true,
    message: 'each scope must be one of admin, flags:write, flags:read, deploy, deploy:read, approve, sdk:<environment>',
  })
  scopes!: string[];
}
