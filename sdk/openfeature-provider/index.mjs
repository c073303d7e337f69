// ESM entry: re-exports the CommonJS build (one module instance for both module systems).
import provider from './lib/index.js';

export const { SwitchyardProvider } = provider;
export default provider;
