/**
 * A JSON answer from a GGUF model run in this process through node-llama-cpp, an optional peer
 * dependency (`npm install node-llama-cpp@3.22.1`): its prebuilt CPU binaries only (`gpu: false`,
 * `build: "never"`, so it never downloads or compiles anything), and decoding constrained by a
 * grammar made from the answer's JSON schema. The user supplies the model file. One model stays
 * loaded per process; each call gets a fresh context, computed on half the cores by default: the
 * replicas and proxies share the machine, and llama.cpp's threads wait for each other by spinning,
 * so on a busy machine more threads than free cores make a call many times slower, not faster.
 */
import { availableParallelism } from 'node:os'
import type { ChatMessage } from '../diagnosis/advice.js'

/** The parts of node-llama-cpp used here (it is optional, so its types are not imported). */
interface LlamaModule {
  getLlama(options: { gpu: false; build: 'never'; logLevel?: string }): Promise<Llama>
  LlamaChatSession: new (options: {
    contextSequence: unknown
    systemPrompt?: string
  }) => ChatSession
}
interface Llama {
  loadModel(options: { modelPath: string }): Promise<LlamaModel>
  createGrammarForJsonSchema(schema: object): Promise<unknown>
}
interface LlamaModel {
  createContext(options: { contextSize: number; threads?: number }): Promise<LlamaContext>
}
interface LlamaContext {
  getSequence(): unknown
  dispose(): Promise<void>
}
interface ChatSession {
  prompt(
    text: string,
    options: {
      grammar: unknown
      maxTokens: number
      temperature: number
      signal?: AbortSignal
      stopOnAbortSignal?: boolean
    },
  ): Promise<string>
}

export const NODE_LLAMA_CPP = 'node-llama-cpp'
export const NODE_LLAMA_CPP_VERSION = '3.22.1'

/** The model loaded last, kept for the next call (loading one takes a second or more). */
let loaded: { path: string; llama: Llama; model: LlamaModel; module: LlamaModule } | undefined

async function loadModule(): Promise<LlamaModule> {
  try {
    // A variable keeps the compiler from resolving a package that may not be installed.
    const name = NODE_LLAMA_CPP
    return (await import(name)) as LlamaModule
  } catch (err) {
    throw new Error(
      `a local model needs ${NODE_LLAMA_CPP}, which is not installed (${(err as Error).message.split('\n')[0] ?? ''}): run \`npm install ${NODE_LLAMA_CPP}@${NODE_LLAMA_CPP_VERSION}\` where Kanari is installed`,
      { cause: err },
    )
  }
}

async function modelFor(path: string): Promise<NonNullable<typeof loaded>> {
  if (loaded?.path === path) return loaded
  const module = await loadModule()
  const llama = await module.getLlama({ gpu: false, build: 'never', logLevel: 'error' })
  const model = await llama.loadModel({ modelPath: path })
  loaded = { path, llama, model, module }
  return loaded
}

export interface LocalAnswer {
  content: string
  responseFormat: 'grammar'
  model: string
}

/** Runs the messages through the model at `path`, its output held to `schema` by a grammar. */
export async function localJson(
  path: string,
  messages: ChatMessage[],
  schema: object,
  signal: AbortSignal,
  options: { contextSize?: number; maxTokens?: number; threads?: number } = {},
): Promise<LocalAnswer> {
  const { llama, model, module } = await modelFor(path)
  signal.throwIfAborted()
  const grammar = await llama.createGrammarForJsonSchema(schema)
  const context = await model.createContext({
    contextSize: options.contextSize ?? 4096,
    threads: options.threads ?? Math.max(1, Math.floor(availableParallelism() / 2)),
  })
  try {
    const system = messages.find((m) => m.role === 'system')?.content
    const session = new module.LlamaChatSession({
      contextSequence: context.getSequence(),
      ...(system === undefined ? {} : { systemPrompt: system }),
    })
    const user = messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n\n')
    const content = await session.prompt(user, {
      grammar,
      maxTokens: options.maxTokens ?? 1024,
      temperature: 0,
      signal,
      stopOnAbortSignal: false,
    })
    return { content, responseFormat: 'grammar', model: path.split('/').pop() ?? path }
  } finally {
    await context.dispose()
  }
}
