import { configDefaults, defineConfig } from 'vitest/config'

// Four projects, cheapest first (docs/architecture.md, "Tests"): `unit` (pure and in-memory, no
// process), `contract` (the shared port contracts on the ports that need no process), `smoke` (a few
// process tests: the demo, one local release, one kill -9) and `system` (every other process test).
// `npm test` runs unit + contract + smoke; `npm run test:system` the rest. Opt-in suites have their
// own configs: a real model (vitest.llm.config.ts) and a cluster (test/k8s/vitest.config.ts).
const CONTRACT = '**/*.contract.test.ts'

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'demo-app/**/*.test.ts'],
          exclude: [...configDefaults.exclude, CONTRACT],
          // One module graph per worker, not per file: most files load the spec checker, and its
          // schemas were compiled again in each (more CPU than the tests themselves). Unit tests
          // share no state through modules: no mocks, no stubbed globals, no changed environment.
          isolate: false,
        },
      },
      {
        extends: true,
        test: { name: 'contract', include: [`src/${CONTRACT}`] },
      },
      {
        extends: true,
        test: { name: 'smoke', include: ['test/smoke/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/smoke/**', 'test/llm/**', 'test/k8s/**'],
        },
      },
    ],
  },
})
