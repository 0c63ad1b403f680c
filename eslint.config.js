// ESLint (typescript-eslint) for the whole repo; formatting is Prettier's job (eslint-config-prettier turns off the
// rules that would disagree with it). The layering of src/ is checked by test/unit/layers.test.ts.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'demo-dist/',
      'public/',
      'node_modules/',
      'test-results/',
      'playwright-report/',
      'bench/out/',
      'tools/out/',
      'scratch/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.worker, ...globals.node } },
    rules: {
      // The library runs on pages with a strict Content-Security-Policy: no code from strings.
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  prettier,
);
