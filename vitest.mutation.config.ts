import { configDefaults, defineConfig } from 'vitest/config'

// The tests mutation testing runs (`npm run test:mutation`, stryker.config.json): the unit and contract
// tests under src/ — in-memory and quick, so each mutant is judged in seconds. Instrumented code runs
// slower: the property tests get more time than under `npm test`.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
})
