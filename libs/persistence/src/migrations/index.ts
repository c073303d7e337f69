import { Installation1764180000000 } from './1764180000000-installation';
import { AuditAndTokens1764190000000 } from './1764190000000-audit-and-tokens';

/** Every migration, in order. Append new ones; never edit one that has landed. */
export const MIGRATIONS = [Installation1764180000000, AuditAndTokens1764190000000];
