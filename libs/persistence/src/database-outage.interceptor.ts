import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import { Database } from './database.service';

/**
 * Reads that go through `db.manager` (repositories) bypass Database's own translation; this turns
 * their outage errors into the same 503 instead of a generic 500.
 */
@Injectable()
export class DatabaseOutageInterceptor implements NestInterceptor {
  constructor(private readonly db: Database) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError((error: unknown) => throwError(() => this.db.translate(error))));
  }
}
