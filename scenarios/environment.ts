/** What a result records about where it ran, so figures are never read out of context. */
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { readFileSync } from 'node:fs'
import type { Environment } from '../core/result.ts'

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim()
    return dirty ? `${rev}-dirty` : rev
  } catch {
    return 'unknown'
  }
}

function ownVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

export function environment(broker: Environment['broker'], workers: number, links?: Environment['links']): Environment {
  const cpus = os.cpus()
  return {
    ...(links === undefined ? {} : { links }),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    broker,
    git: gitRevision(),
    fleetbench: ownVersion(),
    workers,
  }
}
