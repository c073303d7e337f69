import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { Logger } from 'pino';
import { LOGGER } from '@switchyard/observability';
import { ENVIRONMENT_TARGET_KEY, type EnvironmentTarget } from './environment-access';
import { PUBLIC_KEY, SCOPES_KEY } from './scopes.decorator';

/** Nest's route metadata key (`@Get()` etc. set it on the handler). */
const PATH_METADATA = 'path';

export interface DeclaredRoute {
  controller: string;
  handler: string;
  public: boolean;
  scopes: string[];
  /** Set on routes that write to one environment (@TargetsEnvironment): the guard checks the scopes there. */
  environmentTarget?: EnvironmentTarget;
}

/** Refuses to start when a route declares neither @Public() nor @Scopes(): access must be a decision. */
@Injectable()
export class RouteDeclarationCheck implements OnApplicationBootstrap {
  readonly routes: DeclaredRoute[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const undeclared: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || !wrapper.metatype) continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as (...args: unknown[]) => unknown;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const targets = [handler, wrapper.metatype];
        const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) ?? false;
        const scopes = this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets) ?? [];
        const environmentTarget = this.reflector.getAllAndOverride<EnvironmentTarget | undefined>(ENVIRONMENT_TARGET_KEY, targets);
        this.routes.push({ controller: wrapper.name, handler: name, public: isPublic, scopes, ...(environmentTarget ? { environmentTarget } : {}) });
        if (!isPublic && scopes.length === 0) undeclared.push(`${wrapper.name}.${name}`);
      }
    }
    if (undeclared.length > 0) {
      this.logger.fatal({ undeclared }, 'routes without @Public() or @Scopes()');
      throw new Error(`routes without @Public() or @Scopes(): ${undeclared.join(', ')}`);
    }
  }
}
