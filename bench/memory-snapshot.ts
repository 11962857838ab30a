/** One settled reading of a child process's memory, shared by the memory and scale benches. */
import v8 from 'node:v8'

export interface MemorySnapshot {
  rss: number
  heapUsed: number
  /** Resident size of V8's young generation. It grows (up to 2 × 16 MiB) once a process allocates
   *  steadily, whatever it allocates: a one-off cost, which the per-device figures leave out. */
  newSpace: number
}

const gc = (globalThis as { gc?: () => void }).gc

/** Memory after three collections 100 ms apart (with --expose-gc), so garbage is not counted. */
export async function settled(): Promise<MemorySnapshot> {
  for (let i = 0; i < 3; i++) {
    gc?.()
    await new Promise((r) => setTimeout(r, 100))
  }
  const m = process.memoryUsage()
  const newSpace = v8.getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space')?.physical_space_size ?? 0
  return { rss: m.rss, heapUsed: m.heapUsed, newSpace }
}
