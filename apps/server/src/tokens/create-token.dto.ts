import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IsPrintable } from '../request-fields';

export class CreateTokenDto {
  @ApiProperty({ example: 'ci-deployer' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @IsPrintable()
  name!: string;

  @ApiProperty({
    example: ['deploy'],
    description:
      'admin, flags:write, flags:read, deploy, deploy:read, approve, mirror:write, mirror:read, sdk:<environment>, or mirror:report:<route> (a proxy; * for every route)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Matches(
    /^(admin|flags:write|flags:read|deploy|deploy:read|approve|mirror:write|mirror:read|sdk:[a-z0-9][a-z0-9_-]{0,63}|mirror:report:(\*|[a-z0-9][a-z0-9._-]{0,62}))$/,
    {
      each: true,
      message:
        'each scope must be one of admin, flags:write, flags:read, deploy, deploy:read, approve, mirror:write, mirror:read, sdk:<environment>, mirror:report:<route>',
    },
  )
  scopes!: string[];
}
