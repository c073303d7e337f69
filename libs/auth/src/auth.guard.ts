import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthenticatedError } from '@switchyard/errors';
import { ENVIRONMENT_TARGET_KEY, routeAllows, type EnvironmentTarget } from './environment-access';
import type { Principal } from './principal';
import { PUBLIC_KEY, SCOPES_KEY } from './scopes.decorator';
import { TokensService } from './tokens.service';

/** Other ways to sign in (the UI's session cookie) plug in here without the guard knowing them. */
export abstract class PrincipalResolver {
  abstract resolve(request: { headers: Record<string, string | string[] | undefined>; method: string }): Promise<Principal | null | undefined>;
}

export const PRINCIPAL_RESOLVERS = Symbol('PRINCIPAL_RESOLVERS');

/**
 * Global guard: every route must declare @Public() or @Scopes(...). Undeclared routes are
 * refused (and reported at boot by RouteDeclarationCheck), so a forgotten decorator fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private resolvers: PrincipalResolver[] = [];

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
  ) {}

  addResolver(resolver: PrincipalResolver): void {
    this.resolvers.push(resolver);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const required = this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets);
    const target = this.reflector.getAllAndOverride<EnvironmentTarget | undefined>(ENVIRONMENT_TARGET_KEY, targets);
    const request = context.switchToHttp().getRequest<{
      headers: Record<string, string | string[] | undefined>;
      method: string;
      principal?: Principal;
      params?: Record<string, string | undefined>;
      query?: Record<string, unknown>;
    }>();
    const principal = await this.authenticate(request);
    if (!principal) throw new UnauthenticatedError();
    request.principal = principal;
    if (!required || required.length === 0) throw new ForbiddenError('this route declares no scope');
    const { allowed, environment } = routeAllows(principal, required, target, request);
    if (!allowed) {
      const where = environment !== undefined ? ` in environment "${environment}"` : target && target !== 'handler' ? ' in every environment' : '';
      throw new ForbiddenError(`requires scope ${required.map((s) => `"${s}"`).join(' or ')}${where}`);
    }
    return true;
  }

  private async authenticate(request: { headers: Record<string, string | string[] | undefined>; method: string }): Promise<Principal | null> {
    const header = request.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    if (value) {
      const match = /^Bearer\s+(\S+)$/i.exec(value);
      if (!match) throw new UnauthenticatedError('the Authorization header must be "Bearer <token>"');
      const principal = await this.tokens.verify(match[1]);
      if (!principal) throw new UnauthenticatedError('the token is unknown or revoked');
      return principal;
    }
    for (const resolver of this.resolvers) {
      const principal = await resolver.resolve(request);
      if (principal) return principal;
    }
    return null;
  }
}
