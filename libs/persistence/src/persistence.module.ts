import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { openDatabase, type EntityList } from './data-source';
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
          useFactory: async (config: AppConfig) => new Database(await openDatabase(config.database, entities), !config.database.url),
        },
        { provide: DataSource, inject: [Database], useFactory: (db: Database) => db.dataSource },
      ],
      exports: [Database, DataSource],
    };
  }
}
