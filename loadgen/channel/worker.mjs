// Piscina loads this plain module in each worker thread; it registers tsx there and hands over to
// the TypeScript task (one channel-capacity cell per task), so no build step is needed.
import { tsImport } from 'tsx/esm/api'

const task = await tsImport('./worker-task.ts', import.meta.url)
export default task.default
