import { describe, expect, it } from 'vitest'
import { checkOpenFiles, explainOutOfFiles, FD_RESERVE, openFilesLimit, outOfFilesMessage, parseProcLimits, parseUlimitOutput, suggestedLimit } from './open-files.ts'
import { UsageError } from './cli-support.ts'

// /proc/self/limits as Linux writes it (columns padded with spaces).
const PROC_LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max processes             95330                95330                processes 
Max open files            20000                20000                files     
Max locked memory         8388608              8388608              bytes     
`

describe('the open-files limit', () => {
  it('reads soft and hard from /proc/PID/limits', () => {
    expect(parseProcLimits(PROC_LIMITS)).toEqual({ soft: 20000, hard: 20000 })
    expect(parseProcLimits(PROC_LIMITS.replace('20000                20000', '1024                 unlimited'))).toEqual({ soft: 1024, hard: Number.POSITIVE_INFINITY })
    expect(parseProcLimits('Limit  Soft Limit  Hard Limit  Units\n')).toBeUndefined()
  })

  it('reads `ulimit -Sn; ulimit -Hn` output (macOS and other POSIX systems)', () => {
    expect(parseUlimitOutput('256\nunlimited\n')).toEqual({ soft: 256, hard: Number.POSITIVE_INFINITY })
    expect(parseUlimitOutput('10240\n10240\n')).toEqual({ soft: 10240, hard: 10240 })
    expect(parseUlimitOutput('sh: ulimit: bad option\n')).toBeUndefined()
    expect(parseUlimitOutput('')).toBeUndefined()
  })

  it.runIf(process.platform === 'linux')('is the limit in force here, soft raised to hard by Node at start-up', () => {
    const limit = openFilesLimit()
    expect(limit).toBeDefined()
    expect(limit!.soft).toBe(limit!.hard)
  })

  it('suggests a power of two of at least 65536 that covers the need', () => {
    expect(suggestedLimit(0)).toBe(65_536)
    expect(suggestedLimit(65_536)).toBe(65_536)
    expect(suggestedLimit(100_000)).toBe(131_072)
  })
})

describe('running out of descriptors', () => {
  const limit = { soft: 20000, hard: 20000 }

  it('says EMFILE in one line with the limit and the fix', () => {
    const m = outOfFilesMessage(limit)
    expect(m).toBe('out of file descriptors (EMFILE): this process reached the open-files limit of 20000 (ulimit -n; hard limit 20000); raise it with `ulimit -n 65536` (above the hard limit this needs root; in a container --ulimit nofile=65536:65536, under systemd LimitNOFILE=65536), or open fewer connections')
    expect(m).not.toContain('\n')
  })

  it('says just `ulimit -n` when the hard limit allows it', () => {
    expect(outOfFilesMessage({ soft: 1024, hard: 1_048_576 })).toMatch(/reached the open-files limit of 1024 \(ulimit -n; hard limit 1048576\); run `ulimit -n 65536` in the shell that starts fleetbench, or open fewer connections$/)
    expect(outOfFilesMessage({ soft: 1024, hard: Number.POSITIVE_INFINITY })).toMatch(/hard limit unlimited\); run `ulimit -n 65536`/)
    expect(outOfFilesMessage(undefined)).toMatch(/reached the open-files limit \(ulimit -n\); raise it with `ulimit -n 65536`/)
  })

  it('tells ENFILE (the whole system) apart', () => {
    expect(outOfFilesMessage(limit, 'ENFILE')).toMatch(/^out of file descriptors \(ENFILE\): the system's open-file table is full \(sysctl fs\.file-max\)/)
  })

  it('rewrites EMFILE and ENFILE errors, keeping the code, and leaves others alone', () => {
    const emfile = Object.assign(new Error('connect EMFILE 127.0.0.1:1883 - Local (undefined:undefined)'), { code: 'EMFILE' })
    const explained = explainOutOfFiles(emfile, () => limit) as Error & { code: string }
    expect(explained.code).toBe('EMFILE')
    expect(explained.message).toBe(outOfFilesMessage(limit))
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(explainOutOfFiles(refused, () => limit)).toBe(refused)
  })

  it('refuses before any load a fleet that cannot fit, naming the need, the limit and the fix', () => {
    const what = '--gateways 10000 on the embedded broker'
    expect(() => checkOpenFiles(20_000, what, 'fewer --gateways', () => limit)).toThrow(UsageError)
    expect(() => checkOpenFiles(20_000, what, 'fewer --gateways', () => limit)).toThrow(
      `--gateways 10000 on the embedded broker need about ${20_000 + FD_RESERVE} file descriptors, over the open-files limit of 20000 (ulimit -n; hard limit 20000); raise it with \`ulimit -n 65536\` (above the hard limit this needs root; in a container --ulimit nofile=65536:65536, under systemd LimitNOFILE=65536), or use fewer --gateways`)
    expect(() => checkOpenFiles(20_000 - FD_RESERVE, what, 'fewer --gateways', () => limit)).not.toThrow()
    expect(() => checkOpenFiles(1e9, what, 'fewer --gateways', () => undefined)).not.toThrow()
  })
})
