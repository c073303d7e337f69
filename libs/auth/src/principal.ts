import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who is calling: an API token (machines) or a signed-in user (people). */
export interface Principal {
  kind: 'token' | 'user';
  id: string;
  name: string;
  scopes: string[];
}

export function principalOf(request: { principal?: Principal }): Principal | undefined {
  return request.principal;
}

/** The audit `actor` for a principal: `token:ci` or `user:ada@example.com`. */
export function actorOf(principal: Principal): string {
  return `${principal.kind}:${principal.name}`;
}

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal | undefined => {
  return context.switchToHttp().getRequest<{ principal?: Principal }>().principal;
});
