/**
 * What the repositories run SQL on: the Database (one statement, outside any transaction) or a
 * transaction's EntityManager. Declared here, not imported from TypeORM, so that this library stays
 * free of persistence at run time: the proxy bundles it and never touches a database.
 */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** PostgreSQL returns json columns parsed, PGlite (and some drivers) as text. */
export function fromJson<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
