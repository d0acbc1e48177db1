import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/ (docs/architecture.md): what each top-level folder may import from the rest of
 * src/. Anything else — including leaving src/ — fails `npm run lint`. Entries are folders, or
 * single files where a layer may use one module of another (the simulators share only the pure
 * FortiOS wire-format parsers, never the client or anything of the operator).
 */
const LAYERS = {
  api: [],
  domain: ['api'],
  runtime: [],
  tls: [],
  fortigate: [],
  fortimanager: ['fortigate', 'tls'],
  controllers: ['api', 'domain', 'runtime', 'fortigate', 'fortimanager'],
  operator: ['api', 'domain', 'runtime', 'fortigate', 'fortimanager', 'controllers', 'tls'],
  migrate: ['api'],
  // Pure answers for `kubectl fortisync` (why a pod is or is not in a group, which policies use it).
  inspect: ['api', 'domain', 'fortigate/types.js', 'fortigate/version.js'],
  cmd: [
    'inspect',
    'api',
    'domain',
    'runtime',
    'fortigate',
    'fortimanager',
    'controllers',
    'operator',
    'migrate',
    'simulator',
    'tls',
  ],
  simulator: ['tls', 'fortigate/subnet.js', 'fortigate/filter.js', 'fortigate/version.js'],
};
/** Files at the root of src/ any layer may import. */
const SHARED = ['version.js'];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One no-restricted-imports block per layer and folder depth: from src/<layer>/ at depth d, an
 * import leaving the layer starts with d times "../", and must then name an allowed target.
 */
function layerRules() {
  return Object.entries(LAYERS).flatMap(([layer, allowed]) =>
    [1, 2, 3, 4].map((depth) => {
      const targets = [
        ...allowed.map((a) => (a.endsWith('.js') ? `${escape(a)}$` : `${escape(a)}/`)),
        ...SHARED.map((f) => `${escape(f)}$`),
      ];
      return {
        files: [`src/${layer}/${'*/'.repeat(depth - 1)}*.ts`],
        rules: {
          'no-restricted-imports': [
            'error',
            {
              patterns: [
                {
                  regex: `^(\\.\\./){${depth}}(?!${targets.join('|')})`,
                  message: `layering: src/${layer} may import only ${[...allowed, ...SHARED].join(', ') || 'itself'} from src/ (see LAYERS in eslint.config.js and docs/architecture.md)`,
                },
              ],
            },
          ],
        },
      };
    }),
  );
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  ...layerRules(),
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', globalThis: 'readonly' },
    },
  },
);
