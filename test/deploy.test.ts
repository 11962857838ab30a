/**
 * The deploy files, checked by reading them (no docker or cluster here): deploy/job.yaml is what
 * the shard flags need (test/support/job-manifest.ts) and is what docs/distributed.md shows;
 * deploy/Dockerfile installs only "dependencies", so every package the commands import must be one.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { jobManifestProblems, variablesUsed } from './support/job-manifest.ts'

const JOB = readFileSync('deploy/job.yaml', 'utf8')
const DOCKERFILE = readFileSync('deploy/Dockerfile', 'utf8')

describe('deploy/job.yaml', () => {
  it('has what the shard flags rely on', () => {
    expect(jobManifestProblems(JOB)).toEqual([])
  })

  it('is what docs/distributed.md shows, verbatim', () => {
    const doc = readFileSync('docs/distributed.md', 'utf8')
    const shown = /^deploy\/job\.yaml:\n\n```yaml\n([\s\S]*?)```$/m.exec(doc)?.[1]
    expect(shown, 'docs/distributed.md has a "deploy/job.yaml:" line followed by a yaml block').toBeDefined()
    expect(shown).toBe(JOB)
  })

  it('reads the variables of a command line: $NAME, ${NAME} and $(NAME), not $? or $0', () => {
    expect(variablesUsed('a "$BROKER_URL" --shard "${JOB_COMPLETION_INDEX}/$(SHARDS)" || [ $? -eq 99 ] $0 $$')).toEqual(['BROKER_URL', 'JOB_COMPLETION_INDEX', 'SHARDS'])
  })

  // Each broken copy must be caught: the check above can fail.
  it.each([
    ['completionMode: Indexed', 'completionMode: NonIndexed', /completionMode is NonIndexed, not Indexed/],
    ['completionMode: Indexed   #', '#', /completionMode is undefined, not Indexed/],
    ['parallelism: 4 ', 'parallelism: 3 ', /parallelism 3 differs from completions 4/],
    ['value: "4"', 'value: "8"', /--shard's count SHARDS is 8, not completions 4/],
    ['"$JOB_COMPLETION_INDEX/$SHARDS"', '"$JOB_COMPLETION_INDEX/2"', /--shard's count literal is 2, not completions 4/],
    ['"$JOB_COMPLETION_INDEX/$SHARDS"', '"0/$SHARDS"', /--shard's index is 0, not \$JOB_COMPLETION_INDEX/],
    ['--rendezvous "$RUN_ID"', '--rendezvous "$(RUN_UID)"', /the command uses RUN_UID, which the container's env does not define/],
    ['            - name: BROKER_URL\n              value: mqtt://emqx.mqtt.svc.cluster.local:1883  # your broker (cluster); ws:// and wss:// work too\n', '', /the command uses BROKER_URL, which the container's env does not define/],
    ['--shard "$JOB_COMPLETION_INDEX/$SHARDS" ', '', /no container runs a command with --shard/],
  ])('catches a copy with %j replaced by %j', (from, to, problem) => {
    expect(JOB).toContain(from)
    const broken = JOB.replace(from, to)
    expect(jobManifestProblems(broken)).toEqual(expect.arrayContaining([expect.stringMatching(problem)]))
  })
})

/** Bare package names imported at run time (not `import type`) by the files under `dir`, tests left out. */
function runtimeImports(dir: string): Set<string> {
  const found = new Set<string>()
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = join(entry.parentPath, entry.name)
    if (!entry.isFile() || !/\.(ts|mjs)$/.test(file) || file.endsWith('.test.ts')) continue
    for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^'.][^']*)'|\bimport\(\s*'([^'.][^']*)'\s*\)/gm)) {
      const spec = (m[1] ?? m[2])!
      if (spec.startsWith('node:')) continue
      found.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!)
    }
  }
  return found
}

describe('deploy/Dockerfile', () => {
  it('builds on Node 20 slim with production dependencies only, runs as a non-root user, the scenario as entrypoint', () => {
    expect(DOCKERFILE).toMatch(/^FROM node:20-slim$/m)
    expect(DOCKERFILE).toMatch(/^RUN npm ci --omit=dev\b/m)
    const user = /^USER (\S+)$/m.exec(DOCKERFILE)?.[1]
    expect(user).toBeDefined()
    expect(user).not.toMatch(/^(0|root)(:|$)/)
    expect(DOCKERFILE).toMatch(/^ENTRYPOINT \["node", "--import", "tsx", "cli\/scenario\.ts"\]$/m)
    // The Job runs in the image's working directory.
    expect(/^WORKDIR (\S+)$/m.exec(DOCKERFILE)?.[1]).toBe(/workingDir: (\S+)/.exec(JOB)?.[1])
  })

  it('has every package the commands import in "dependencies" (npm ci --omit=dev installs no other)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> }
    const imported = new Set(['core', 'simulator', 'loadgen', 'reports', 'scenarios', 'cli'].flatMap((d) => [...runtimeImports(d)]))
    expect(imported).toContain('tsx') // the worker threads register it (loadgen/engine/worker.mjs)
    expect(imported).toContain('ws')
    expect([...imported].filter((p) => !(p in pkg.dependencies)).sort()).toEqual([])
    expect(readFileSync('package.json', 'utf8')).toMatch(/"scenario": "exec node --import tsx /)
  })

  it('leaves node_modules, .git and the tests out of the build context, and keeps the sources in', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'test', '**/*.test.ts']))
    for (const room of ['core', 'simulator', 'loadgen', 'reports', 'scenarios', 'cli', 'package.json', 'package-lock.json']) expect(ignored).not.toContain(room)
  })
})
