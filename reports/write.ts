/** Result files are written atomically: a crash never leaves a truncated result.json. */
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`)
  await writeFile(tmp, data)
  await rename(tmp, path)
}

export async function writeResultJson(path: string, result: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`)
}
