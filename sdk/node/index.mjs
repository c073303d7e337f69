// ESM entry: re-exports the CommonJS build, so ESM and CommonJS callers share one module
// instance (one set of classes, one `instanceof`). Keep the names in step with src/index.ts;
// test/e2e/sdk/packaged-sdk.spec.ts compares them.
import sdk from './lib/node/src/index.js';

export const { createClient, SwitchyardClient, ClientEvent, SwitchyardError, SDK_VERSION } = sdk;
export default sdk;
