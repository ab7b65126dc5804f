import { defineConfig } from 'vitest/config'

// The Kubernetes suite (test/k8s/run.sh): files one after another — they share one control plane and
// each starts its own controller — with the timeouts of a real cluster on a busy machine.
export default defineConfig({
  test: {
    include: ['test/k8s/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
