export { AuthModule } from './auth.module';
export { AuthGuard, PrincipalResolver } from './auth.guard';
export { TokensService, hashToken, type TokenView } from './tokens.service';
export { TokensRepository } from './tokens.repository';
export { RouteDeclarationCheck, type DeclaredRoute } from './route-declaration.check';
export { Scopes, Public, SCOPES_KEY, PUBLIC_KEY } from './scopes.decorator';
export { CurrentPrincipal, actorOf, principalOf, type ClientAccess, type Principal } from './principal';
export {
  FIXED_SCOPES,
  CLIENT_SCOPE_PATTERN,
  clientEnvironments,
  grants,
  isScope,
  readableMirrorRoutes,
  reportableMirrorRoutes,
  sdkEnvironments,
  type Scope,
  type FixedScope,
} from './scopes';
export {
  UsersService,
  ROLES,
  ROLE_SCOPES,
  SESSION_COOKIE,
  SESSION_MAX_AGE_SECONDS,
  TooManyAttemptsError,
  type Role,
  type UserView,
  type SessionView,
} from './users.service';
export { SessionResolver, CsrfRejectedError, cookieValue } from './session.resolver';
export { hashPassword, verifyPassword } from './password';
export {
  ENVIRONMENT_SCOPE_PATTERN,
  ENVIRONMENT_TARGET_KEY,
  TargetsEnvironment,
  grantsEverywhere,
  grantsIn,
  grantsSomewhere,
  requireScopeIn,
  routeAllows,
  scopesBeyond,
  scopesIn,
  type EnvironmentTarget,
} from './environment-access';
