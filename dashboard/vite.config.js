// @ts-check
// Builds the dashboard (run from the package root: `vite build dashboard`) into dist/dashboard, which
// the daemon serves. Everything is bundled: the page loads nothing from the network but the daemon.
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: '../dist/dashboard',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
    chunkSizeWarningLimit: 600,
  },
  worker: { format: 'es' },
})
