// Lint: typescript-eslint's recommended rules (syntax only: no type-aware rules, so lint stays fast)
// plus a line length of 120 for code; strings, template literals, comments and URLs may run longer
// (a wording or a regex is not split to please the linter). Formatting itself is prettier's
// (`prettier --check`, .prettierrc.json); `npm run lint` runs both.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp/', 'test/fixtures/', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,mts,js,mjs,cjs}'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        fetch: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
      },
    },
    rules: {
      'max-len': [
        'error',
        {
          code: 120,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreComments: true,
          ignoreUrls: true,
          ignoreRegExpLiterals: true,
        },
      ],
      // `catch {}` is how this code says "best effort": a probe that may fail, a file that may be gone
      'no-empty': ['error', {allowEmptyCatch: true}],
      // `const {password: _password, ...rest} = x` drops a key on purpose
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true, caughtErrors: 'none'},
      ],
    },
  },
  {
    // tests read JSON reports and reach into private shapes
    files: ['test/**'],
    rules: {'@typescript-eslint/no-explicit-any': 'off'},
  },
)
