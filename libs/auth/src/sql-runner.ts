/** What a repository runs SQL on: the Database (one statement, outside any transaction) or a transaction's EntityManager. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}
