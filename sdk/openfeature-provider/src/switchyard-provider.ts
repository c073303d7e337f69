import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type ErrorCode,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { ClientEvent, SwitchyardClient, type ClientOptions, type EvaluationDetails } from '@switchyard/node-sdk';

function toResolution<T>(details: EvaluationDetails<T>): ResolutionDetails<T> {
  return {
    value: details.value,
    variant: details.variant,
    reason: details.reason,
    // The SDK's codes are a subset of OpenFeature's, spelled the same.
    errorCode: details.errorCode as ErrorCode | undefined,
    errorMessage: details.errorMessage,
    flagMetadata: details.flagMetadata,
  };
}

const NOT_INITIALIZED = Object.freeze({
  variant: undefined,
  reason: 'ERROR',
  errorCode: 'PROVIDER_NOT_READY' as ErrorCode,
  errorMessage: 'the Switchyard provider has not been initialized',
  flagMetadata: Object.freeze({}),
});

/**
 * OpenFeature server provider over the Switchyard Node SDK: evaluation is the SDK's local,
 * synchronous evaluation (the promise only satisfies the Provider interface), and the SDK's
 * events become provider events.
 *
 * Pass client options and the provider owns the client (created in `initialize`, closed in
 * `onClose`), or pass an existing `SwitchyardClient` to share it with direct SDK use.
 */
export class SwitchyardProvider implements Provider {
  readonly metadata = { name: 'switchyard' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private sdkClient: SwitchyardClient | undefined;
  private readonly owned: boolean;
  private readonly options: ClientOptions | undefined;
  private initialized = false;
  private subscribed = false;

  constructor(optionsOrClient: ClientOptions | SwitchyardClient) {
    if (optionsOrClient instanceof SwitchyardClient) {
      this.sdkClient = optionsOrClient;
      this.owned = false;
    } else {
      this.options = optionsOrClient;
      this.owned = true;
    }
  }

  /** The underlying SDK client (undefined before `initialize` when the provider creates it). */
  get client(): SwitchyardClient | undefined {
    return this.sdkClient;
  }

  async initialize(): Promise<void> {
    this.sdkClient ??= new SwitchyardClient(this.options ?? {});
    const client = this.sdkClient;
    this.subscribe(client);
    const ready = await client.waitUntilReady();
    this.initialized = true;
    if (!ready) {
      const why = client.stats().lastError ?? 'the server did not answer';
      // OpenFeature marks the provider ERROR; the client keeps trying and PROVIDER_READY follows.
      throw new Error(`Switchyard: no flags loaded (${why}); evaluations return defaults until the server answers`);
    }
  }

  async onClose(): Promise<void> {
    this.initialized = false;
    if (this.owned) await this.sdkClient?.close();
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    const client = this.sdkClient;
    return Promise.resolve(
      client === undefined ? { value: defaultValue, ...NOT_INITIALIZED } : toResolution(client.getBooleanDetails(flagKey, defaultValue, context)),
    );
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    const client = this.sdkClient;
    return Promise.resolve(
      client === undefined ? { value: defaultValue, ...NOT_INITIALIZED } : toResolution(client.getStringDetails(flagKey, defaultValue, context)),
    );
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    const client = this.sdkClient;
    return Promise.resolve(
      client === undefined ? { value: defaultValue, ...NOT_INITIALIZED } : toResolution(client.getNumberDetails(flagKey, defaultValue, context)),
    );
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    const client = this.sdkClient;
    return Promise.resolve(
      client === undefined ? { value: defaultValue, ...NOT_INITIALIZED } : toResolution(client.getObjectDetails(flagKey, defaultValue, context)),
    );
  }

  private subscribe(client: SwitchyardClient): void {
    if (this.subscribed) return;
    this.subscribed = true;
    // Until initialize() settles, OpenFeature derives READY/ERROR from its outcome itself.
    client.on(ClientEvent.Ready, (details) => {
      if (this.initialized) this.events.emit(ProviderEvents.Ready, { message: `flags from ${details.source}, version ${details.version}` });
    });
    client.on(ClientEvent.Change, (details) => {
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: details.keys, metadata: { version: details.version, source: details.source } });
    });
    client.on(ClientEvent.Stale, (details) => {
      if (this.initialized) this.events.emit(ProviderEvents.Stale, { message: details.reason });
    });
    client.on(ClientEvent.Error, ({ error }) => {
      // While flags are being served, a failed reconnect is `stale`, not an error state; errors
      // count when there is nothing to serve or the server refuses the token.
      const refused = error.status === 401 || error.status === 403;
      if (this.initialized && (client.status === 'not-ready' || refused)) {
        this.events.emit(ProviderEvents.Error, {
          message: error.message,
          metadata: error.status === undefined ? { kind: error.kind } : { kind: error.kind, status: error.status },
        });
      }
    });
  }
}
