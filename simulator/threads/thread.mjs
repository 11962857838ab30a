// Each fleet thread starts here: it registers tsx in the thread and loads its TypeScript entry
// (workerData.entry, relative to this folder), so neither users nor tests need a build step.
import { workerData } from 'node:worker_threads'
import { tsImport } from 'tsx/esm/api'

await tsImport(workerData.entry, import.meta.url)
