import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '@switchyard/auth';
import { IsPrintable } from '../request-fields';

export class SignInDto {
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(1024) password!: string;
}

export class SetupDto {
  @ApiProperty({ description: 'The bootstrap admin API token printed at first start' }) @IsString() @MinLength(20) @MaxLength(200) adminToken!: string;
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) @IsPrintable() name!: string;
  @ApiProperty({ minLength: 12 }) @IsString() @MinLength(12, { message: 'must be at least 12 characters' }) @MaxLength(1024) password!: string;
}

export class CreateUserDto {
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) @IsPrintable() name!: string;
  @ApiProperty({ enum: ROLES }) @IsIn(ROLES as unknown as string[], { message: `must be one of ${ROLES.join(', ')}` }) role!: Role;
  @ApiProperty({ minLength: 12 }) @IsString() @MinLength(12, { message: 'must be at least 12 characters' }) @MaxLength(1024) password!: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200) @IsPrintable() name?: string;
  @ApiPropertyOptional({ enum: ROLES }) @IsOptional() @IsIn(ROLES as unknown as string[], { message: `must be one of ${ROLES.join(', ')}` }) role?: Role;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(12, { message: 'must be at least 12 characters' }) @MaxLength(1024) password?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() disabled?: boolean;
}

export class ChangePasswordDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(1024) currentPassword!: string;
  @ApiProperty({ minLength: 12 }) @IsString() @MinLength(12, { message: 'must be at least 12 characters' }) @MaxLength(1024) newPassword!: string;
}
