// Worker thread entry of floor (b): registers tsx in this thread and runs the TypeScript requester,
// as loadgen/engine/worker.mjs does for fleetbench's own workers.
import { tsImport } from 'tsx/esm/api'

await tsImport('./bare-requester.ts', import.meta.url)
