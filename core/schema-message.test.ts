import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { fieldPath, schemaErrorLine, shown } from './schema-message.ts'

const schema = {
  type: 'object',
  required: ['slots'],
  additionalProperties: false,
  properties: {
    slots: { anyOf: [{ const: 'unlimited' }, { type: 'integer', minimum: 1, maximum: 10 }] },
    'odd key': { type: 'array', minItems: 2, items: { type: 'string' } },
  },
}
const validate = new Ajv2020({ strict: true, verbose: true }).compile(schema)
const line = (value: unknown): string => {
  expect(validate(value)).toBe(false)
  return schemaErrorLine(validate.errors ?? [], schema, 'the document')
}

describe('schemaErrorLine', () => {
  it('reads what a field must be from the schema, every branch of an anyOf included', () => {
    expect(line({ slots: 0 })).toBe('slots must be "unlimited" or a whole number from 1 to 10, got 0')
    expect(line({})).toBe('slots is missing; add it: "unlimited" or a whole number from 1 to 10')
    expect(line({ slots: 1, 'odd key': ['a'] })).toBe('["odd key"] must be a list of at least 2 items, got ["a"]')
    expect(line({ slots: 1, 'odd key': ['a', 3] })).toBe('["odd key"][1] must be a string, got 3')
  })

  it('names an unknown field, and a misspelling beside the missing one', () => {
    expect(line({ slots: 1, extra: true })).toBe('extra is not a known field; the document has only slots, odd key')
    expect(line({ slot: 1 })).toBe('slots is missing (slot is not a known field); add it: "unlimited" or a whole number from 1 to 10')
    expect(line(5)).toBe('the document must be an object with slots (and optional odd key), got 5')
  })
})

describe('fieldPath and shown', () => {
  it('turn a JSON pointer into a path a user reads, and a value into short JSON', () => {
    expect(fieldPath('/latency/open/medianMs')).toBe('latency.open.medianMs')
    expect(fieldPath('/failures/open/kinds/0/code')).toBe('failures.open.kinds[0].code')
    expect(fieldPath('/a~1b/c~0d')).toBe('["a/b"]["c~d"]')
    expect(fieldPath('')).toBe('')
    expect(shown('fast')).toBe('"fast"')
    expect(shown('x'.repeat(100))).toHaveLength(60)
  })
})
