import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/coverage/**', '.data/**', '.test-runtime/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      // Configuration is parsed once, at the process boundary; everything else receives typed values.
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through the parsed config object.',
        },
      ],
    },
  },
  {
    // Process boundaries that legitimately read the environment: config parsers, CLIs, scripts, tests.
    files: [
      '**/config.ts',
      '**/config/*.ts',
      '**/cli.ts',
      '**/server.ts',
      '**/worker.ts',
      '**/src/cli/**',
      '**/src/dev/**',
      '**/*.mjs',
      'scripts/**',
      'tools/**',
      '**/test/**',
      '**/bench/**',
      '**/*.test.ts',
    ],
    rules: { 'no-restricted-properties': 'off', 'no-console': 'off' },
  },
);
