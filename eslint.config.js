import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ENGINE_DOOR = 'import the engine through src/engine/index.ts; export what you need from there';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'src/loader/runtime/kernels-wasm.ts',
      'node_modules/',
      'native/build/',
      'runs/',
      'bench/results/',
      'docs/api/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // The engine has one door: outside src/engine, src imports only engine/index.ts (the kernels,
  // the addon and the pool are the engine's own business).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)engine/(?!index\\.js$)', message: ENGINE_DOOR }] },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/(^|\\/)engine\\/(?!index\\.js$)/]',
          message: ENGINE_DOOR,
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
