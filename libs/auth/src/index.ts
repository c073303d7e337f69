export { AuthModule } from './auth.module';
export { AuthGuard, PrincipalResolver } from './auth.guard';
export { TokensService, hashToken, type TokenView } from './tokens.service';
export { RouteDeclarationCheck, type DeclaredRoute } from './route-declaration.check';
export { Scopes, Public, SCOPES_KEY, PUBLIC_KEY } from './scopes.decorator';
export { CurrentPrincipal, actorOf, principalOf, type Principal } from './principal';
export { FIXED_SCOPES, grants, isScope, sdkEnvironments, type Scope, type FixedScope } from './scopes';
