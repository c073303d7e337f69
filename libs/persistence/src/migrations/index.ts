import { Installation1764180000000 } from './1764180000000-installation';

/** Every migration, in order. Append new ones; never edit one that has landed. */
export const MIGRATIONS = [Installation1764180000000];
