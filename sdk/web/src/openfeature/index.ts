import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type ErrorCode,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/web-sdk';
import type { ClientOptions, FlagDetails } from '../types';
import { createClient, type SwitchyardWebClient } from '../web-client';

function resolution<T>(details: FlagDetails<T>): ResolutionDetails<T> {
  return {
    value: details.value,
    variant: details.variant,
    reason: details.reason,
    ...(details.errorCode ? { errorCode: details.errorCode as ErrorCode, errorMessage: details.errorMessage } : {}),
  };
}

/**
 * OpenFeature web provider over the Switchyard web client: OpenFeature's static-context model (one
 * context per page, changed with OpenFeature.setContext) is exactly the client's setContext.
 * Kept in its own entry point so pages without OpenFeature do not pay for it.
 */
export class SwitchyardWebProvider implements Provider {
  readonly metadata = { name: 'switchyard-web' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  private current?: SwitchyardWebClient;

  constructor(private readonly options: Omit<ClientOptions, 'context'>) {}

  /** The underlying client (after initialize), for its status and last error. */
  get client(): SwitchyardWebClient | undefined {
    return this.current;
  }

  async initialize(context?: EvaluationContext): Promise<void> {
    const client = createClient({ ...this.options, context: context ?? {} });
    this.current = client;
    client.on('change', ({ keys }) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: keys }));
    client.on('error', ({ error }) => {
      if (client.status === 'stale') this.events.emit(ProviderEvents.Stale, { message: error?.message });
    });
    await client.ready;
    // With neither an answer nor last-known values there is nothing to serve: OpenFeature reports ERROR.
    if (client.status === 'error') throw client.lastError ?? new Error('no answer from the flag server');
  }

  async onContextChange(_previous: EvaluationContext, next: EvaluationContext): Promise<void> {
    await this.current?.setContext(next);
  }

  onClose(): Promise<void> {
    this.current?.close();
    return Promise.resolve();
  }

  resolveBooleanEvaluation(key: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return this.current ? resolution(this.current.getBooleanDetails(key, defaultValue)) : notReady(defaultValue);
  }
  resolveStringEvaluation(key: string, defaultValue: string): ResolutionDetails<string> {
    return this.current ? resolution(this.current.getStringDetails(key, defaultValue)) : notReady(defaultValue);
  }
  resolveNumberEvaluation(key: string, defaultValue: number): ResolutionDetails<number> {
    return this.current ? resolution(this.current.getNumberDetails(key, defaultValue)) : notReady(defaultValue);
  }
  resolveObjectEvaluation<T extends JsonValue>(key: string, defaultValue: T): ResolutionDetails<T> {
    if (!this.current) return notReady(defaultValue);
    return resolution(this.current.getObjectDetails(key, defaultValue as T & object)) as ResolutionDetails<T>;
  }
}

function notReady<T>(value: T): ResolutionDetails<T> {
  return { value, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' as ErrorCode, errorMessage: 'the provider is not initialized' };
}
