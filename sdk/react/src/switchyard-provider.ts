import { createContext, createElement, useContext, useEffect, useState, type ReactNode } from 'react';
import { createClient, type ClientOptions, type SwitchyardWebClient } from '@switchyard/web-sdk';

const ClientContext = createContext<SwitchyardWebClient | null>(null);

export interface SwitchyardProviderProps {
  /** A client made with createClient (shared with non-React code), or… */
  client?: SwitchyardWebClient;
  /** …the options to make one; the provider then closes it when it unmounts. */
  options?: ClientOptions;
  children?: ReactNode;
}

/** Makes a Switchyard web client available to useFlag / useFlagDetails below it. */
export function SwitchyardProvider({ client, options, children }: SwitchyardProviderProps) {
  const [own] = useState(() => (client ? undefined : options ? createClient(options) : undefined));
  useEffect(() => () => own?.close(), [own]);
  const value = client ?? own;
  if (!value) throw new Error('SwitchyardProvider needs a client or options');
  return createElement(ClientContext.Provider, { value }, children);
}

/** The client of the nearest SwitchyardProvider. */
export function useSwitchyardClient(): SwitchyardWebClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useFlag and useFlagDetails must be used inside <SwitchyardProvider>');
  return client;
}
