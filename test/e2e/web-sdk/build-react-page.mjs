// Bundles react-page.mjs with React and the two SDKs from source into <out>/react-page.js:
//   node test/e2e/web-sdk/build-react-page.mjs <out>
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const bundle = await rolldown({
  input: join(here, 'react-page.mjs'),
  platform: 'browser',
  resolve: { alias: { '@switchyard/web-sdk': join(root, 'sdk/web/src/index.ts'), '@switchyard/react': join(root, 'sdk/react/src/index.ts') } },
  transform: { define: { 'process.env.NODE_ENV': '"production"' } },
});
await bundle.write({ file: join(resolve(process.argv[2]), 'react-page.js'), format: 'esm', minify: true });
await bundle.close();
