import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// The preview box evaluates with the same engine as the server and the SDKs, straight from source.
const api = 'http://localhost:4000';

export default defineConfig({
  root: here('.'),
  // Keep the dependency cache with the root install instead of a nested node_modules here.
  cacheDir: here('../../node_modules/.vite/admin-ui'),
  plugins: [react()],
  resolve: { alias: { '@switchyard/core': here('../../sdk/core/src/index.ts') } },
  build: { outDir: here('dist'), emptyOutDir: true, assetsDir: 'assets', sourcemap: true, target: 'es2022' },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/sdk': { target: api, changeOrigin: false },
      '/ofrep': { target: api, changeOrigin: false },
    },
  },
});
