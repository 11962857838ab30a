// The caller process's entry: it registers tsx and hands over to the TypeScript caller, so no
// build step is needed (like the worker threads' worker.mjs).
import { tsImport } from 'tsx/esm/api'

await tsImport('./caller-child.ts', import.meta.url)
