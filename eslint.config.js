// One lint configuration for the whole repository.
// Type-aware rules (no-floating-promises) need the project service; the import-x cycle check
// keeps package and module graphs acyclic; the core is held pure by restricted imports/globals.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.aob/**',
      '**/generated/**',
      'bench/results/**',
      // AssemblyScript, compiled by asc (packages/optimizer/scripts/build-passes.mjs), not tsc.
      'packages/optimizer/passes/**',
    ],
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      // The check configs include tests (the build configs exclude them).
      parserOptions: {
        project: [
          './packages/*/tsconfig.check.json',
          './services/*/tsconfig.check.json',
          './cli/tsconfig.check.json',
          './apps/*/tsconfig.json',
          './tsconfig.tools.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': ['error', { maxDepth: 10 }],
    },
  },
  {
    // The core is pure: no I/O, no clock, no randomness. Clock and ids are injected by the shell.
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'path',
                'os',
                'child_process',
                'crypto',
                'net',
                'http',
                'https',
              ],
              message: 'The core performs no I/O.',
            },
            {
              group: [
                'pg',
                'ioredis',
                'kafkajs',
                'better-sqlite3',
                '@aws-sdk/*',
                '@aob/bus',
                '@aob/store',
                '@aob/engine',
              ],
              message: 'The core talks to no clients.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Inject the clock.' },
        {
          object: 'Math',
          property: 'random',
          message: 'Randomness is drawn by the shell and recorded.',
        },
        { object: 'performance', property: 'now', message: 'Inject the clock.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Inject the clock.',
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'fetch', 'process', 'crypto'],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
