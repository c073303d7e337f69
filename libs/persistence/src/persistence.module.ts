import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { openDatabase, type EntityList } from './data-source';
import { DatabaseOutageInterceptor } from './database-outage.interceptor';
import { Database } from './database.service';

@Global()
@Module({})
export class PersistenceModule {
  /** `entities` is every feature's entity list, gathered by the app module. */
  static forRoot(entities: EntityList): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: Database,
          inject: [APP_CONFIG],
          useFactory: async (config: AppConfig) =>
            new Database(await openDatabase(config.database, entities), !config.database.url, {
              statementMs: config.database.statementTimeoutMs,
              acquireMs: config.database.acquireTimeoutMs,
            }),
        },
        { provide: APP_INTERCEPTOR, useClass: DatabaseOutageInterceptor },
        { provide: DataSource, inject: [Database], useFactory: (db: Database) => db.dataSource },
      ],
      exports: [Database, DataSource],
    };
  }
}
