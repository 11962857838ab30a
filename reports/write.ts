/**
 * Result files are written atomically: a crash never leaves a truncated result.json. The directory
 * must exist (commands prove their outputs with prepareOutputDir / prepareOutputFile at start-up).
 */
import { rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`)
  try {
    await writeFile(tmp, data)
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw err
  }
}

export async function writeResultJson(path: string, result: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`)
}
