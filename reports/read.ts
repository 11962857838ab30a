/**
 * Reading a result file: every result is checked against `core/result.schema.json` (JSON Schema
 * 2020-12) before anything renders, merges or gates it; a version-1 file is checked against
 * `core/result.v1.schema.json` and then upgraded. Bad input is a UsageError with one line that says
 * which file, what is wrong, and what to do.
 */
import { fieldPath } from '../core/schema-message.ts'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import { UsageError } from '../core/cli-support.ts'
import { SCHEMA_VERSION, type RunResult } from '../core/result.ts'
import { upgradeResultV1 } from '../core/result-upgrade.ts'

export const SCHEMA_URL = new URL('../core/result.schema.json', import.meta.url)
export const SCHEMA_V1_URL = new URL('../core/result.v1.schema.json', import.meta.url)

const validators = new Map<URL, ValidateFunction>()

function validator(url: URL): ValidateFunction {
  let v = validators.get(url)
  if (!v) {
    const schema = JSON.parse(readFileSync(url, 'utf8')) as object
    v = new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true, discriminator: true }).compile(schema)
    validators.set(url, v)
  }
  return v
}

function check(url: URL, value: unknown, source: string): void {
  const v = validator(url)
  if (!v(value)) {
    const first = v.errors?.[0]
    throw new UsageError(`${source}: not a valid fleetbench result: ${first ? describe(first) : 'unknown schema error'} (see core/${url.pathname.split('/').pop()})`)
  }
}

/** `/cells/0/counts/sent` → `cells[0].counts.sent` (one rule with the profile files' messages). */
const pathOf = (instancePath: string): string => fieldPath(instancePath) || 'the top level'

function describe(e: ErrorObject): string {
  const where = pathOf(e.instancePath)
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'required':
      return `${where} has no ${String(p.missingProperty)}`
    case 'enum':
      return `${where} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
    case 'const':
      return `${where} must be ${JSON.stringify(p.allowedValue)}`
    default:
      return `${where} ${e.message ?? 'is invalid'}`
  }
}

/**
 * Checks a parsed value and returns it typed; throws UsageError naming `source` and the first bad
 * path. A result from a newer schemaVersion is refused before its shape is judged.
 */
export function validateResult(value: unknown, source: string): RunResult {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = (value as { schemaVersion?: unknown }).schemaVersion
    if (typeof v === 'number' && v > SCHEMA_VERSION)
      throw new UsageError(`${source}: written by a newer fleetbench (schemaVersion ${v}; this one reads ${SCHEMA_VERSION}); upgrade fleetbench to read it`)
  }
  if (typeof value === 'object' && value !== null && (value as { schemaVersion?: unknown }).schemaVersion === 1) {
    check(SCHEMA_V1_URL, value, source)
    const upgraded = upgradeResultV1(value as Record<string, unknown>)
    check(SCHEMA_URL, upgraded, `${source} (upgraded from version 1)`)
    return upgraded
  }
  check(SCHEMA_URL, value, source)
  return value as RunResult
}

/** Parses and validates result text read from `source`. */
export function parseResult(text: string, source: string): RunResult {
  if (text.trim() === '') throw new UsageError(`${source}: the file is empty; expected a result.json written by npm run scenario`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0]
    throw new UsageError(`${source}: not JSON (${reason}); expected a result.json written by npm run scenario`)
  }
  return validateResult(value, source)
}

/** Reads, parses and validates a result file. */
export async function readResult(path: string): Promise<RunResult> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a result file' : code === 'EACCES' ? 'permission denied' : (err as Error).message
    throw new UsageError(`cannot read ${path}: ${why}`)
  }
  return parseResult(text, path)
}
