/**
 * A JSON Schema error (Ajv, compiled with `verbose: true`) as one line a user can act on: the field
 * as a dotted path, what it must be (read from the schema itself, so the message and the rule
 * cannot drift apart), and what it was.
 */
import type { ErrorObject } from 'ajv'

type Schema = Record<string, unknown>

/** `/latency/open/medianMs` → `latency.open.medianMs`; `/failures/open/kinds/0` → `failures.open.kinds[0]`. */
export function fieldPath(instancePath: string): string {
  const path = instancePath
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`))
    .join('')
  return path.startsWith('.') ? path.slice(1) : path
}

const join = (base: string, key: string): string => fieldPath(`${base}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`)

/** A value as a user wrote it, cut short when long. */
export function shown(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

const or = (items: string[]): string => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`)

function resolve(schema: Schema, root: Schema): Schema {
  const ref = schema.$ref
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema
  let at: unknown = root
  for (const seg of ref.slice(2).split('/')) at = (at as Schema | undefined)?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')]
  return typeof at === 'object' && at !== null ? resolve(at as Schema, root) : schema
}

function range(s: Schema): string {
  const min = s.minimum
  const max = s.maximum
  if (typeof min === 'number' && typeof max === 'number') return ` from ${min} to ${max}`
  if (typeof min === 'number') return ` >= ${min}`
  if (typeof max === 'number') return ` <= ${max}`
  return ''
}

/** What a value must be, in words, from the schema that describes it. */
export function expected(schema: Schema, root: Schema): string {
  const s = resolve(schema, root)
  const tag = (s.discriminator as { propertyName?: string } | undefined)?.propertyName
  const branches = (s.anyOf ?? s.oneOf) as Schema[] | undefined
  if (tag !== undefined && branches) {
    const kinds = branches.map((b) => shown((resolve(b, root).properties as Record<string, Schema> | undefined)?.[tag]?.const))
    return `an object with ${tag} ${or(kinds)}`
  }
  if (branches) return or(branches.map((b) => expected(b, root)))
  if ('const' in s) return shown(s.const)
  if (Array.isArray(s.enum)) return `one of ${s.enum.map(shown).join(', ')}`
  switch (s.type) {
    case 'number':
      return `a number${range(s)}`
    case 'integer':
      return `a whole number${range(s)}`
    case 'string':
      return typeof s.minLength === 'number' && typeof s.maxLength === 'number' ? `a string of ${s.minLength} to ${s.maxLength} characters` : 'a string'
    case 'array':
      return typeof s.minItems === 'number' && s.minItems > 0 ? `a list of at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}` : 'a list'
    case 'object': {
      const required = Array.isArray(s.required) ? (s.required as string[]) : []
      const optional = Object.keys((s.properties as Schema | undefined) ?? {}).filter((k) => !required.includes(k) && k !== '$schema')
      if (required.length === 0) return optional.length > 0 ? `an object with any of ${optional.join(', ')}` : 'an object'
      return `an object with ${required.join(', ')}${optional.length > 0 ? ` (and optional ${optional.join(', ')})` : ''}`
    }
    default:
      return 'valid'
  }
}

/**
 * The first of Ajv's errors as one line. `what` names the document (e.g. "a device profile") for
 * errors at its top level.
 */
export function schemaErrorLine(errors: readonly ErrorObject[], root: Schema, what: string): string {
  const first = errors[0]
  if (!first) return `${what} is not valid`
  // anyOf reports each branch's error first and its own last; the last one at the same place knows every branch.
  const e = errors.findLast((x) => x.instancePath === first.instancePath) ?? first
  const where = fieldPath(e.instancePath)
  const p = e.params as Record<string, unknown>
  const parent = (e.parentSchema ?? {}) as Schema
  const properties = (resolve(parent, root).properties ?? {}) as Record<string, Schema>
  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty)
      const rule = properties[missing]
      // A missing field beside an unknown one is most often a misspelling: name both.
      const unknown = Object.keys((e.data ?? {}) as object).filter((k) => !Object.hasOwn(properties, k))
      const beside = unknown.length > 0 ? ` (${unknown.map((k) => join(e.instancePath, k)).join(', ')} is not a known field)` : ''
      return `${join(e.instancePath, missing)} is missing${beside}; add it: ${rule ? expected(rule, root) : 'see the schema'}`
    }
    case 'additionalProperties': {
      const extra = String(p.additionalProperty)
      const known = Object.keys(properties).filter((k) => k !== '$schema')
      return `${join(e.instancePath, extra)} is not a known field; ${where || what} has only ${known.join(', ')}`
    }
    case 'discriminator': {
      const field = join(e.instancePath, String(p.tag))
      const kinds = expected(parent, root).replace(/^an object with \S+ /, '')
      return p.tagValue === undefined ? `${field} is missing; add it: ${kinds}` : `${field} must be ${kinds}, got ${shown(p.tagValue)}`
    }
    default:
      return `${where || what} must be ${expected(parent, root)}, got ${shown(e.data)}`
  }
}
