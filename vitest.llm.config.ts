// The opt-in real-model tests (`npm run test:llm`): a real GGUF model through node-llama-cpp.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/llm/**/*.test.ts'],
    testTimeout: 20 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
  },
})
