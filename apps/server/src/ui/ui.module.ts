import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { UiController } from './ui.controller';

/** The built admin UI at `/`. @fastify/static only lends `reply.sendFile`; routing stays with UiController. */
@Module({ controllers: [UiController] })
export class UiModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    if (!fastify.hasReplyDecorator('sendFile')) void fastify.register(fastifyStatic, { serve: false });
  }
}
