import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only config.ts may read the environment (DESIGN.md: one config module).
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings through functions/config.ts' }],
    },
  },
  {
    files: ['functions/config.ts', 'test/**', 'local/**', 'bench/**', 'infra/**', 'cli/**', 'bin/**', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Stored data reaches the operator's terminal: everything kfa prints goes through cli/print.ts, which escapes it.
    files: ['cli/**'],
    ignores: ['cli/print.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'stdout', message: 'Print through out() in cli/print.ts (it escapes control characters)' },
        { object: 'process', property: 'stderr', message: 'Print through say() in cli/print.ts (it escapes control characters)' },
      ],
      'no-console': 'error',
    },
  },
);
