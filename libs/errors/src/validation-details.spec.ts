import { ArrayMaxSize, IsInt, IsOptional, IsString, Matches, Max, MaxLength, MinLength, validateSync } from 'class-validator';
import { validationDetails } from './validation-details';

class Probe {
  @IsString() @MinLength(1) @MaxLength(10) name!: string;
  @IsOptional() @IsInt() @Max(500) limit?: number;
  @IsOptional() @ArrayMaxSize(2) @IsString({ each: true }) tags?: string[];
  @IsOptional() @Matches(/^[a-z]+$/) slug?: string;
  @IsOptional() @Matches(/^[a-z]+$/, { message: 'must be lowercase letters' }) kind?: string;
}

function problems(values: Partial<Probe>): string[] {
  return validationDetails(validateSync(Object.assign(new Probe(), values))).map((d) => `${d.path}: ${d.problem}`);
}

describe('validationDetails', () => {
  it('says class-validator defaults in plain words with the limit named', () => {
    expect(problems({ name: '', limit: 501, tags: ['a', 'b', 'c'], slug: 'A!' })).toEqual([
      'name: must not be empty',
      'limit: must be at most 500',
      'tags: must have at most 2 items',
      'slug: contains characters that are not allowed',
    ]);
    expect(problems({ name: 'x'.repeat(11), limit: 1.5 })).toEqual(['name: must be at most 10 characters', 'limit: must be a whole number']);
  });

  it('keeps a DTO’s own message', () => {
    expect(problems({ name: 'ok', kind: 'X' })).toEqual(['kind: must be lowercase letters']);
  });
});
