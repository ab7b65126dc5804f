/** Kanari's OpenFeature provider (`import { KanariProvider } from 'kanari/openfeature'`). */
export { KanariProvider, type KanariProviderOptions } from './kanari-provider.js'
