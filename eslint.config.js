// Lint configuration: typescript-eslint's strict type-checked rules over the TypeScript sources, the
// layer boundaries of docs/architecture.md as import zones, and the plain JavaScript of demo-app/ and bin/.
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

/** The layers local mode sits on (the demo sits on local mode too). */
const BELOW_LOCAL = [
  'analysis',
  'engine',
  'spec',
  'controller',
  'report',
  'manifests',
  'webhooks',
  'providers',
  'notify',
  'diagnosis',
  'advisor',
  'flags',
]
/**
 * What each folder of src/ may import besides itself (src/*.ts are open to all): the layers of
 * docs/architecture.md. Anything else is an upward or sideways import and fails lint.
 */
const ALLOWED = {
  analysis: [],
  flags: [],
  openfeature: ['flags'],
  engine: ['analysis'],
  spec: ['analysis', 'engine'],
  controller: ['analysis', 'engine'],
  webhooks: ['analysis', 'engine', 'controller'],
  report: ['analysis', 'engine'],
  diagnosis: ['analysis', 'engine'],
  advisor: ['analysis', 'engine', 'diagnosis'],
  manifests: ['analysis', 'engine', 'spec', 'flags'],
  notify: ['analysis', 'engine', 'spec', 'controller'],
  import: ['analysis', 'engine', 'spec', 'manifests'],
  simulate: ['analysis', 'engine', 'controller', 'report'],
  providers: ['analysis', 'engine', 'spec', 'controller'],
  local: BELOW_LOCAL,
  demo: [...BELOW_LOCAL, 'local'],
  kubernetes: [
    'analysis',
    'engine',
    'spec',
    'controller',
    'report',
    'manifests',
    'webhooks',
    'providers',
    'notify',
    'flags',
  ],
}
const FOLDERS = [...Object.keys(ALLOWED), 'cli']
const FORBIDDEN = Object.fromEntries(
  Object.entries(ALLOWED).map(([folder, allowed]) => [
    folder,
    FOLDERS.filter((f) => f !== folder && !allowed.includes(f)),
  ]),
)

function zone(folder, forbidden, extra = []) {
  return {
    files: [`src/${folder}/**/*.ts`],
    ignores: ['**/*.test.ts', '**/test-utils/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
              message: `src/${folder} may import only ${ALLOWED[folder].join(', ') || 'itself'} (docs/architecture.md); move the shared piece down or pass it in through a port.`,
            },
            ...extra,
          ],
        },
      ],
    },
  }
}

/** Inside local mode: the supervisor, store and proxy are parts the daemon puts together. */
function localPart(part) {
  return {
    files: [`src/local/${part}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(daemon|store|supervisor|proxy|driver)/',
              message: `src/local/${part} is a part the daemon and the local driver put together: it imports no other part and not the daemon; shared shapes live in src/local/*.ts (docs/architecture.md).`,
            },
            {
              regex: `^(\\.\\./)+(${FORBIDDEN.local.join('|')})(/|$)`,
              message: 'local mode sits below simulate, demo and cli (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  }
}

/** Globals of Node.js scripts, for the plain JavaScript files. */
const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'fetch',
  ].map((g) => [g, 'readonly']),
)

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.stryker-tmp/**', 'reports/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      '@typescript-eslint/no-unnecessary-condition': [
        'error',
        { allowConstantLoopConditions: true },
      ],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  ...Object.entries(FORBIDDEN).map(([folder, forbidden]) => zone(folder, forbidden)),
  ...['supervisor', 'store', 'proxy'].map(localPart),
  {
    // Nothing but bin/ starts the CLI.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/*.ts'],
    ignores: ['test/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(src/)?cli(/|$)',
              message: 'only bin/ imports the CLI; move what you need out of src/cli.',
            },
          ],
        },
      ],
    },
  },
  {
    // The dashboard runs in a browser: it may bundle the pure layers (simulate runs in a worker)
    // and read the daemon's wire types, nothing that needs Node.
    files: ['dashboard/src/**/*.ts', 'dashboard/src/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+src/(local|spec|manifests|demo|cli)(/|$)',
              allowTypeImports: true,
              message:
                'the dashboard bundles only analysis, engine, controller, report and simulate; it reads the daemon over HTTP (types may be imported).',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'demo-app/**/*.js',
      'bin/kanari',
      'bin/kubectl-kanari',
      '*.js',
      'dashboard/*.js',
      'scripts/*.mjs',
    ],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: nodeGlobals },
  },
)
