import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'demo-app/**/*.test.ts'],
    // The Kubernetes suite needs a cluster: `npm run test:k8s` runs it (test/k8s/vitest.config.ts).
    exclude: ['**/node_modules/**', 'test/k8s/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
