import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppError } from '@switchyard/errors';
import { AuthGuard, PrincipalResolver } from './auth.guard';
import type { Principal } from './principal';
import { SESSION_COOKIE, UsersService } from './users.service';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class CsrfRejectedError extends AppError {
  constructor() {
    super('CSRF_REJECTED', 'state-changing requests from a browser session need the X-CSRF-Token header from GET /api/v1/session', 403);
  }
}

export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const raw = Array.isArray(header) ? header.join('; ') : header;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return decodeCookie(part.slice(index + 1).trim());
  }
  return undefined;
}

// A malformed cookie (bad percent-encoding) is no cookie: the request is simply not signed in.
function decodeCookie(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Signs in browser requests by the session cookie; unsafe methods must also carry the CSRF token. */
@Injectable()
export class SessionResolver extends PrincipalResolver implements OnModuleInit {
  constructor(
    private readonly users: UsersService,
    private readonly guard: AuthGuard,
  ) {
    super();
  }

  onModuleInit(): void {
    this.guard.addResolver(this);
  }

  async resolve(request: { headers: Record<string, string | string[] | undefined>; method: string }): Promise<Principal | null> {
    const secret = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (!secret) return null;
    const session = await this.users.resolveSession(secret);
    if (!session) return null;
    if (UNSAFE.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (!this.users.checkCsrf(session.csrf, Array.isArray(sent) ? sent[0] : sent)) throw new CsrfRejectedError();
    }
    return session.principal;
  }
}
