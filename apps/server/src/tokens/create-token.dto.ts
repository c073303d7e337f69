import { ApiProperty } from '@nestjs/swagger';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { BROWSER_ORIGIN, MAX_ALLOWED_ORIGINS } from '../client-access/client-origins';
import { FLAG_FILTER } from '../client-access/client-flag-filter';
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
      'admin, flags:write, flags:read, deploy, deploy:read, approve, mirror:write, mirror:read, sdk:<environment>, mirror:report:<route> (a proxy; * for every route), or client:<environment> (a browser; alone)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Matches(
    /^(admin|flags:write|flags:read|deploy|deploy:read|approve|mirror:write|mirror:read|sdk:[a-z0-9][a-z0-9_-]{0,63}|mirror:report:(\*|[a-z0-9][a-z0-9._-]{0,62})|client:[a-z0-9][a-z0-9_-]{0,63})$/,
    {
      each: true,
      message:
        'each scope must be one of admin, flags:write, flags:read, deploy, deploy:read, approve, mirror:write, mirror:read, sdk:<environment>, mirror:report:<route>, client:<environment>',
    },
  )
  scopes!: string[];

  @ApiPropertyOptional({
    example: ['https://shop.example'],
    description: 'client tokens only: the exact page origins (scheme://host[:port]) browsers may use the token from; none = no browser access',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_ORIGINS)
  @Matches(BROWSER_ORIGIN, { each: true, message: 'each origin must be scheme://host[:port] in lower case, like https://shop.example, without a path' })
  allowedOrigins?: string[];

  @ApiPropertyOptional({
    example: 'client-side',
    description: 'client tokens only: "client-side" (flags marked for client-side SDKs) or "tag:<tag>"; omitted = every flag',
  })
  @IsOptional()
  @IsString()
  @Matches(FLAG_FILTER, { message: 'flagFilter must be "client-side" or "tag:<tag>"' })
  flagFilter?: string;
}
