export { PersistenceModule } from './persistence.module';
export { Database } from './database.service';
export { openDatabase, buildDataSource, ensureSchema, dropSchema, type DatabaseOptions, type EntityList } from './data-source';
export { MIGRATIONS } from './migrations';
export { DatabaseUnavailableError, classifyOutage } from './database-unavailable';
