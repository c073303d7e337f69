export { SwitchyardProvider } from './switchyard-provider';
