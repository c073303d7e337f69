import { Module } from '@nestjs/common';
import { EventStreams } from './event-streams.service';

/** SSE plumbing shared by every streaming endpoint (see EventStreams). */
@Module({ providers: [EventStreams], exports: [EventStreams] })
export class SseModule {}
