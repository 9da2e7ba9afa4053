// ESLint with typescript-eslint's type-checked rules (`npm run lint`). The rules need type information, so every
// linted TypeScript file must belong to tsconfig.json (the project service finds it).
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'coverage/',
      'node_modules/',
      'bench/results/',
      'reports/',
      'src/generated/',
      'examples/generated/',
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `async` without `await` is deliberate here: methods that implement a Promise-returning interface (stores,
      // models, plugin hooks) stay `async` so that anything they throw reaches the caller as a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain JavaScript config files are not part of the TypeScript project: lint them without type information.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
);
