import { SetMetadata } from '@nestjs/common';
import type { Scope } from './scopes';

export const SCOPES_KEY = 'switchyard:scopes';
export const PUBLIC_KEY = 'switchyard:public';

/** The caller needs ANY ONE of these scopes (admin always passes). `sdk:*` = any SDK read scope. */
export const Scopes = (...scopes: Array<Scope | 'sdk:*'>) => SetMetadata(SCOPES_KEY, scopes);

/** No authentication: health, metrics, docs, sign-in. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
