// Lint: typescript-eslint with type information; workflows/ may import only the workflow SDK,
// @temporalio/common and relative code, and other layers only as types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'coverage/**', '.stratus/**', 'bin/**', '*.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['scripts/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'workflows must be deterministic: no Node built-ins' })),
        patterns: [
          {
            regex: '^(?!\\.|@temporalio/workflow$|@temporalio/common(/|$)).*',
            message: 'workflows may import only @temporalio/workflow, @temporalio/common and relative modules',
          },
          {
            regex: '^\\.\\./(activities|clients|workers|config|cli|devserver|dashboard)(/|$)',
            allowTypeImports: true,
            message: 'workflows import other layers only as types (import type …)',
          },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'no process.env in workflows: pass config as input' },
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
      ],
    },
  },
);
