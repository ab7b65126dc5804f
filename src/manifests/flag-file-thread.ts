/**
 * Reading a flag file that nests deeper than the main thread's stack can parse (the YAML parser is
 * recursive; the main thread's stack, about 1 MB, runs out near 800 levels): once more, on a thread
 * of its own with a larger stack, so that `kanari flags lint` accepts what the daemon serves.
 */
import { Worker } from 'node:worker_threads'
import { loadFlagFile, type LoadedFlagFile } from './flag-file.js'

/** Enough for a YAML file at the nesting limit many times over (4 MB reads about 3,000 levels). */
const STACK_MB = 16

/** loadFlagFile, read again on a thread with a larger stack when this one's runs out. */
export async function loadFlagFileAnyDepth(text: string, file: string): Promise<LoadedFlagFile> {
  const loaded = loadFlagFile(text, file)
  return loaded.outOfStack === true ? loadFlagFileOnLargeStack(text, file) : loaded
}

/** loadFlagFile on a thread of its own with a 16 MB stack. */
export function loadFlagFileOnLargeStack(text: string, file: string): Promise<LoadedFlagFile> {
  const ts = import.meta.url.endsWith('.ts')
  const url = new URL(`./flag-file.${ts ? 'ts' : 'js'}`, import.meta.url).href
  // From the sources (tests, tsx) the module is TypeScript: the thread registers tsx's loader first.
  const load = `import(${JSON.stringify(url)}).then((m) => { const { parentPort, workerData } = require('node:worker_threads'); parentPort.postMessage(m.loadFlagFile(workerData.text, workerData.file)) })`
  const code = ts ? `import('tsx/esm/api').then((tsx) => { tsx.register(); return ${load} })` : load
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, {
      eval: true,
      workerData: { text, file },
      resourceLimits: { stackSizeMb: STACK_MB },
    })
    worker.once('message', (loaded: LoadedFlagFile) => {
      resolve(loaded)
      void worker.terminate()
    })
    worker.once('error', reject)
    worker.once('exit', (code) =>
      reject(new Error(`reading ${file} on a larger stack stopped (exit code ${code})`)),
    )
  })
}
