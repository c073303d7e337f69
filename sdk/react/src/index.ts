export { SwitchyardProvider, useSwitchyardClient, type SwitchyardProviderProps } from './switchyard-provider';
export { useFlag, useFlagDetails } from './use-flag';
