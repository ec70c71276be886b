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
);
