import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './app-error';
import { toErrorBody } from './error-body';

export type { ErrorBody } from './error-body.contract';

@Catch()
export class AppErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, body, internal } = toErrorBody(exception, String(request.id), request.routeOptions?.bodyLimit);
    if (internal) request.log.error({ err: exception }, 'unhandled error');
    if (reply.sent) return;
    const retryAfter = exception instanceof AppError ? exception.extra.retryAfter : undefined;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
