import { grantsEverywhere, grantsIn, grantsSomewhere, routeAllows, scopesBeyond, scopesIn } from './environment-access';
import { isScope } from './scopes';
import { ROLE_SCOPES } from './users.service';

const viewerEditingDevelopment = { scopes: ROLE_SCOPES.viewer, environmentScopes: { development: ROLE_SCOPES.editor } };
const editorViewingProduction = { scopes: ROLE_SCOPES.editor, environmentScopes: { production: ROLE_SCOPES.viewer } };
const devWriterToken = { scopes: ['flags:write:development', 'flags:read'] };

describe('per-environment access', () => {
  it('uses the override in its environment and the base role elsewhere', () => {
    expect(grantsIn(viewerEditingDevelopment, 'flags:write', 'development')).toBe(true);
    expect(grantsIn(viewerEditingDevelopment, 'flags:write', 'production')).toBe(false);
    expect(grantsIn(editorViewingProduction, 'flags:write', 'staging')).toBe(true);
    expect(grantsIn(editorViewingProduction, 'flags:write', 'production')).toBe(false);
    expect(grantsIn(editorViewingProduction, 'flags:read', 'production')).toBe(true);
  });

  it('counts environment-bound token scopes in their environment only', () => {
    expect(scopesIn(devWriterToken, 'development')).toEqual(['flags:write', 'flags:read']);
    expect(scopesIn(devWriterToken, 'production')).toEqual(['flags:read']);
    expect(grantsSomewhere(devWriterToken, 'flags:write')).toBe(true);
    expect(grantsEverywhere(devWriterToken, 'flags:write')).toBe(false);
    expect(grantsSomewhere({ scopes: ['approve:production'] }, 'approve')).toBe(true);
    expect(grantsSomewhere({ scopes: ['flags:read'] }, 'approve')).toBe(false);
  });

  it('decides a route by its environment target', () => {
    const param = { param: 'environment' };
    expect(routeAllows(viewerEditingDevelopment, ['flags:write'], param, { params: { environment: 'development' } })).toEqual({
      allowed: true,
      environment: 'development',
    });
    expect(routeAllows(viewerEditingDevelopment, ['flags:write'], param, { params: { environment: 'production' } }).allowed).toBe(false);
    // Without a target (creating a flag) only the base role counts.
    expect(routeAllows(viewerEditingDevelopment, ['flags:write'], undefined, {}).allowed).toBe(false);
    expect(routeAllows(editorViewingProduction, ['flags:write'], undefined, {}).allowed).toBe(true);
    // A query target left out means every environment.
    expect(routeAllows(editorViewingProduction, ['flags:write'], { query: 'environment' }, { query: {} }).allowed).toBe(false);
    expect(routeAllows({ scopes: ['flags:write'] }, ['flags:write'], { query: 'environment' }, { query: {} }).allowed).toBe(true);
    expect(routeAllows(viewerEditingDevelopment, ['flags:write'], 'handler', {}).allowed).toBe(true);
  });

  it('lists the scopes a token would hold beyond its creator', () => {
    const limitedAdmin = { scopes: ROLE_SCOPES.admin, environmentScopes: { production: ROLE_SCOPES.viewer } };
    expect(
      scopesBeyond(limitedAdmin, ['admin', 'flags:write', 'flags:read', 'deploy', 'flags:write:development', 'flags:write:production', 'sdk:production']),
    ).toEqual(['admin', 'flags:write', 'flags:write:production']);
    expect(scopesBeyond({ scopes: ['admin'] }, ['admin', 'approve:production', 'client:production'])).toEqual([]);
  });

  it('accepts environment-bound scopes in the scope grammar', () => {
    for (const scope of ['flags:write:development', 'flags:read:eu-west', 'approve:production']) expect(isScope(scope)).toBe(true);
    for (const scope of ['flags:write:', 'flags:write:Prod', 'deploy:production', 'approve:*']) expect(isScope(scope)).toBe(false);
  });
});
