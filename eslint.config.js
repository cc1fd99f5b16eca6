// Lint rules: typescript-eslint's recommended set, plus the rule that keeps workflow code
// deterministic: nothing in src/workflows/ may import Node built-ins, adapters, clients or activities
// as values (type-only imports are erased at build time and allowed).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'crypto',
  'child_process',
  'http',
  'https',
  'net',
  'dns',
  'stream',
  'util',
  'events',
  'worker_threads',
  'timers',
  'process',
  'url',
  'zlib',
  'tls',
  'cluster',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'test/histories/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The web console: React's rules of hooks and effect dependencies.
    files: ['web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    // Tests read API responses as untyped JSON.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'Workflows must be deterministic: no Node built-ins.' },
            {
              group: [
                '**/adapters/**',
                '**/activities/**',
                '**/db/**',
                '**/api/**',
                '**/runtime/**',
                '**/temporal/**',
                'pg',
                'pino',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/activity',
              ],
              allowTypeImports: true,
              message: 'Workflows import activities, adapters and clients as types only.',
            },
          ],
        },
      ],
    },
  },
);
