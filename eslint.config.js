// ESLint flat config (run by `npm run lint` as `eslint .`).
// @eslint/js recommended + typescript-eslint recommended (not type-checked, for speed).
import js from '@eslint/js'
import { defineConfig, globalIgnores } from 'eslint/config'
// `globals` is not a direct devDependency: it comes with eslint (via @eslint/eslintrc).
import globals from 'globals'
import tseslint from 'typescript-eslint'

const VITEST_MESSAGE = 'production code must not import vitest; put test doubles and contract suites in test/support/'

export default defineConfig([
  globalIgnores(['**/node_modules/', 'results/', 'docs/', 'coverage/']),
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Runs in the browser, inlined into report.html after uPlot: a classic script, not a module.
    files: ['reports/report-client.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { ...globals.browser, uPlot: 'readonly' },
    },
  },
  {
    files: ['{core,simulator,loadgen,reports,scenarios,cli,bench}/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vitest', message: VITEST_MESSAGE }],
          patterns: [{ group: ['vitest/*'], message: VITEST_MESSAGE }],
        },
      ],
    },
  },
])
