import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'demo-app/**/*.test.ts'],
    // Opt-in suites: a real model (`npm run test:llm`, vitest.llm.config.ts) and the Kubernetes
    // suite, which needs a cluster (`npm run test:k8s`, test/k8s/vitest.config.ts).
    exclude: [...configDefaults.exclude, 'test/llm/**', 'test/k8s/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
