import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Inject, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@switchyard/auth';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { AppError } from '@switchyard/errors';
import { NOT_UI, acceptsHtml, resolveUiDir } from './ui-files';

const TOP_LEVEL_FILE = /^\/([\w-][\w.-]*\.[a-z0-9]+)$/i;

/**
 * Serves the built admin UI: content-hashed assets cached for a year, index.html never cached
 * (so a deploy is picked up on the next navigation), and index.html for any other page URL a
 * browser asks for (history-API routing). Anything under the API prefixes stays a JSON 404.
 */
@ApiExcludeController()
@Public()
@Controller()
export class UiController {
  private readonly root: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.root = resolveUiDir(config.uiDir);
  }

  @Get()
  home(@Req() request: FastifyRequest, @Res() reply: FastifyReply): FastifyReply {
    return this.page(request, reply);
  }

  @Get('assets/*')
  asset(@Req() request: FastifyRequest, @Res() reply: FastifyReply): FastifyReply {
    const path = (request.params as Record<string, string>)['*'] ?? '';
    return reply.sendFile(path, join(this.root, 'assets'), { immutable: true, maxAge: 31_536_000_000, cacheControl: true, dotfiles: 'deny' });
  }

  @Get('*')
  fallback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): FastifyReply {
    const path = request.url.split('?')[0];
    if (NOT_UI.test(path)) throw new NotFoundException(`Cannot GET ${request.url}`);
    const file = TOP_LEVEL_FILE.exec(path);
    if (file && file[1] !== 'index.html' && existsSync(join(this.root, file[1]))) {
      return reply.sendFile(file[1], this.root, { maxAge: 3_600_000, cacheControl: true, dotfiles: 'deny' });
    }
    if (!acceptsHtml(request.headers.accept)) throw new NotFoundException(`Cannot GET ${request.url}`);
    return this.page(request, reply);
  }

  private page(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (!existsSync(join(this.root, 'index.html'))) {
      if (!acceptsHtml(request.headers.accept)) throw new NotFoundException(`Cannot GET ${request.url}`);
      throw new AppError('UI_NOT_BUILT', `the admin UI is not built (no index.html in ${this.root}): run npm run build:ui`, 404);
    }
    void reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', this.root, { cacheControl: false, dotfiles: 'deny' });
  }
}
