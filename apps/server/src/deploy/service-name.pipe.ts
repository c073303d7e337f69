import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from '@switchyard/errors';

/** Service names are DNS labels: they become Kubernetes names in the rollout. */
export const SERVICE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

@Injectable()
export class ServiceNamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!SERVICE_NAME.test(value))
      throw new ValidationFailedError([{ path: 'service', problem: 'must be a DNS label: 1-63 lower-case letters, digits and "-"' }]);
    return value;
  }
}
