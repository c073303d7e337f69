// Flat config. Type-aware rules catch un-awaited promises; boundary rules keep libs
// independent of apps, force imports through each lib's index.ts, and keep sdk/* free
// of everything but sdk/core.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const deepLibImport = {
  group: ['@switchyard/*/*', '**/libs/*/src/**', '**/sdk/core/src/**'],
  message: 'Import a lib only through its index: @switchyard/<lib>.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'apps/admin-ui/dist/**', '**/*.d.ts', '.switchyard/**', 'test-results/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { patterns: [deepLibImport] }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through @switchyard/config (AppConfig), never process.env.' }],
    },
  },
  {
    // Nest decorators need runtime class references in constructor parameter types.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [deepLibImport, { group: ['**/apps/**', '@switchyard/server', '@switchyard/proxy', '@switchyard/cli'], message: 'A lib never imports an app.' }] },
      ],
    },
  },
  {
    files: ['sdk/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@nestjs/*', '**/libs/**', '**/apps/**'], message: 'sdk/* depends on sdk/core only.' },
            // sdk/react sits on the web SDK, as the OpenFeature provider sits on the Node SDK.
            { regex: '^@switchyard/(?!core$|node-sdk$|web-sdk$)', message: 'sdk/* depends on sdk/core only.' },
          ],
        },
      ],
    },
  },
  {
    // The admin UI runs in browsers and has no Nest decorators, so type-only imports are enforced again.
    files: ['apps/admin-ui/**/*.ts', 'apps/admin-ui/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // The browser bundle takes its own files, npm packages, @switchyard/core and the libraries'
      // *.contract files, the last type-only (erased at build): never server code. The TypeScript
      // variant of no-restricted-imports, for its allowTypeImports.
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@switchyard/(?!core$)', message: 'The admin UI imports @switchyard/core and *.contract files only.' },
            { regex: '^(?:\\.\\./)+(?:apps|sdk|server|proxy|cli|test|bench|scripts|deploy)/', message: 'The admin UI imports @switchyard/core and *.contract files only.' },
            { regex: '^(?:\\.\\./)+libs/(?!.*\\.contract$)', message: 'Of a library, the admin UI imports its *.contract files only.' },
            { regex: '\\.contract$', allowTypeImports: true, message: 'Import contracts with `import type`, so no library code reaches the bundle.' },
            { group: ['@nestjs/*', 'typeorm', 'class-validator', 'class-transformer', 'ioredis', 'pg', 'fastify'], message: 'Server packages do not belong in the browser bundle.' },
          ],
        },
      ],
    },
  },
  {
    // Contracts are the wire types the browser shares with the server: other contracts and sdk/core only.
    files: ['libs/**/*.contract.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!@switchyard/core$)(?!\\.{1,2}/.*\\.contract$)', message: 'A *.contract.ts imports other contracts and @switchyard/core only.' }] }],
    },
  },
  {
    // Configuration is read here and only here; tests, benchmarks and scripts set up processes.
    files: ['libs/config/**', 'test/**', 'bench/**', 'scripts/**', '**/*.spec.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-unsafe-function-type': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node } },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
);
