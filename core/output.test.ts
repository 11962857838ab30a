import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { reasonOf } from './cli-support.ts'
import { prepareOutputDir, prepareOutputFile } from './output.ts'

const root = mkdtempSync(join(tmpdir(), 'fleetbench-output-'))
const aFile = join(root, 'a-file')
writeFileSync(aFile, 'x')

/** A directory even root cannot write in (ext4's immutable flag), or undefined where chattr is missing. */
function immutableDir(): string | undefined {
  const dir = join(root, 'immutable')
  mkdirSync(dir)
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'ignore' })
    return dir
  } catch {
    return undefined
  }
}
const locked = immutableDir()
afterAll(() => {
  if (locked) execFileSync('chattr', ['-i', locked], { stdio: 'ignore' })
  rmSync(root, { recursive: true, force: true })
})

const message = (f: () => unknown): string => {
  try {
    f()
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('expected a refusal')
}

describe('prepareOutputDir', () => {
  it.each([
    ['/dev/null/x', /^--out \/dev\/null\/x: \/dev\/null is not a directory; choose a directory you can write to$/],
    ['/etc/passwd/x', /^--out \/etc\/passwd\/x: \/etc\/passwd is not a directory;/],
    ['/proc/forbidden/x', /^--out \/proc\/forbidden\/x: not a real file system \(\/proc is proc\);/],
    ['/sys/x', /^--out \/sys\/x: not a real file system \(\/sys is sysfs\);/],
    ['/proc', /^--out \/proc: not a real file system \(proc\);/],
    [join(aFile, 'sub'), /a-file is not a directory;/],
  ])('refuses %s in one line, without hanging', (path, expected) => {
    expect(message(() => prepareOutputDir('--out', path))).toMatch(expected)
  })

  it.skipIf(locked === undefined)('refuses a directory it cannot create in, even as root (permission denied)', () => {
    expect(message(() => prepareOutputDir('--out', join(locked!, 'run')))).toMatch(/^--out .*immutable\/run: cannot create .*immutable\/run: permission denied;/)
  })

  it('creates every missing level and leaves no probe file behind', () => {
    const deep = join(root, 'a', 'b', 'c')
    expect(prepareOutputDir('--out', deep)).toBe(deep)
    expect(readdirSync(deep)).toEqual([])
    expect(prepareOutputDir('--out', deep)).toBe(deep) // again: it exists now
  })

  it('words the errors a disk gives', () => {
    expect(reasonOf(Object.assign(new Error('x'), { code: 'EROFS' }))).toBe('read-only file system')
    expect(reasonOf(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe('no space left on device')
    expect(reasonOf(new Error('something else'))).toBe('something else')
  })
})

describe('prepareOutputFile', () => {
  it.each([
    [root, /^--junit .*: is a directory; give the path of a file you can write$/],
    ['/dev/null', /^--junit \/dev\/null: is not a regular file;/],
    ['/proc/x.xml', /^--junit \/proc\/x\.xml: not a real file system \(proc\); give the path of a file you can write$/],
    [join(aFile, 'x.xml'), /^--junit .*a-file\/x\.xml: .*a-file is not a directory; give the path of a file you can write$/],
  ])('refuses %s', (path, expected) => {
    expect(message(() => prepareOutputFile('--junit', path))).toMatch(expected)
  })

  it('accepts a new file in a new directory, and an existing regular file', () => {
    const file = join(root, 'reports', 'gate.xml')
    expect(prepareOutputFile('--junit', file)).toBe(file)
    expect(existsSync(file)).toBe(false)
    expect(prepareOutputFile('--junit', aFile)).toBe(aFile)
  })
})
