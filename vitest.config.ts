import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'demo-app/**/*.test.ts'],
    // A real model is opt-in: `npm run test:llm` (vitest.llm.config.ts).
    exclude: [...configDefaults.exclude, 'test/llm/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
