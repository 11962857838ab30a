/**
 * What the shard flags rely on in a Kubernetes Job manifest (deploy/job.yaml), as a list of
 * problems (empty when it is right):
 *
 * - `completionMode: Indexed`, so every pod has its own JOB_COMPLETION_INDEX (0 … completions-1);
 * - `parallelism` = `completions`: the shards wait for each other, so all must run at once;
 * - `--shard "$JOB_COMPLETION_INDEX/N"` with N (a number, or a variable holding one) = completions;
 * - every variable the command uses (`$NAME`, `${NAME}` for the shell, `$(NAME)` for Kubernetes)
 *   defined in the container's env. JOB_COMPLETION_INDEX needs no entry: the Job controller adds it
 *   to every container of an Indexed Job (from the batch.kubernetes.io/job-completion-index
 *   annotation) unless the container defines it.
 */
import { parse } from 'yaml'

interface EnvVar {
  name?: unknown
  value?: unknown
  valueFrom?: unknown
}

interface Container {
  name?: unknown
  command?: unknown
  args?: unknown
  env?: EnvVar[]
}

interface JobManifest {
  kind?: unknown
  spec?: {
    completionMode?: unknown
    completions?: unknown
    parallelism?: unknown
    template?: { spec?: { containers?: Container[] } }
  }
}

const INDEX = 'JOB_COMPLETION_INDEX'

/** Names a command line refers to: `$(NAME)` (expanded by Kubernetes), `$NAME` and `${NAME}` (by the shell). */
export function variablesUsed(command: string): string[] {
  const names = new Set<string>()
  for (const m of command.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) names.add((m[1] ?? m[2] ?? m[3])!)
  return [...names]
}

/** The variable a `--shard` part refers to, or undefined for a literal. */
const variableOf = (part: string): string | undefined => /^\$(?:\(([A-Za-z_]\w*)\)|\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))$/.exec(part)?.slice(1).find((g) => g !== undefined)

export function jobManifestProblems(text: string): string[] {
  const problems: string[] = []
  const job = parse(text) as JobManifest
  if (job.kind !== 'Job') problems.push(`kind is ${String(job.kind)}, not Job`)
  const spec = job.spec ?? {}
  const indexed = spec.completionMode === 'Indexed'
  if (!indexed) problems.push(`completionMode is ${String(spec.completionMode)}, not Indexed: pods get no ${INDEX}`)
  const completions = spec.completions
  if (typeof completions !== 'number' || !Number.isInteger(completions) || completions < 1) problems.push(`completions is ${String(completions)}, not a whole number of shards`)
  if (spec.parallelism !== completions) problems.push(`parallelism ${String(spec.parallelism)} differs from completions ${String(completions)}: the shards wait for each other, so all must run at once`)

  const containers = spec.template?.spec?.containers ?? []
  const runner = containers.find((c) => commandOf(c).includes('--shard'))
  if (runner === undefined) return [...problems, 'no container runs a command with --shard']
  const command = commandOf(runner)
  const env = new Map((runner.env ?? []).map((e) => [String(e.name), e]))
  for (const name of variablesUsed(command)) {
    if (env.has(name) || (name === INDEX && indexed)) continue
    problems.push(`the command uses ${name}, which the container's env does not define`)
  }

  const shard = /--shard\s+"?([^"\s/]+)\/([^"\s]+?)"?(?=\s|$)/.exec(command)
  if (shard === null) return [...problems, 'the command has no --shard INDEX/COUNT']
  if (variableOf(shard[1]!) !== INDEX) problems.push(`--shard's index is ${shard[1]}, not $${INDEX}`)
  const countVar = variableOf(shard[2]!)
  const count = countVar === undefined ? shard[2] : env.get(countVar)?.value
  if (countVar !== undefined && env.get(countVar)?.valueFrom !== undefined) problems.push(`--shard's count ${countVar} comes from valueFrom; give it as a value equal to completions`)
  else if (Number(count) !== completions) problems.push(`--shard's count ${countVar ?? 'literal'} is ${String(count)}, not completions ${String(completions)}`)
  return problems
}

function commandOf(c: Container): string {
  const parts = [c.command, c.args].flatMap((p) => (Array.isArray(p) ? p.map(String) : []))
  return parts.join(' ')
}
