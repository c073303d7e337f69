import type { FastifyReply } from 'fastify';
import type { PendingChange, WriteOutcome } from '@switchyard/flags';
import { etagOf } from '../http';

/**
 * The answer to a write that may need approval: the written resource with its ETag, or 202 with the
 * pending change request (nothing is written yet, so there is no new ETag).
 */
export function answerWrite<T extends { version: number }>(reply: FastifyReply, outcome: WriteOutcome<T>): T | PendingChange {
  if ('pending' in outcome) {
    void reply.status(202);
    return { changeRequest: outcome.pending };
  }
  void reply.header('etag', etagOf(outcome.applied.version));
  return outcome.applied;
}
