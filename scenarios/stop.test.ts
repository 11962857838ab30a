import { describe, expect, it, vi } from 'vitest'
import { stopOn } from './stop.ts'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('the run deadline', () => {
  it('stops the run like a signal would, exit 1, with one line saying why', async () => {
    const lines: string[] = []
    const stop = stopOn('parallel-ble', { deadlineMs: 30, graceMs: 10_000, write: (l) => void lines.push(l) })
    expect(stop.signal.aborted).toBe(false)
    await sleep(80)
    expect(stop.signal.aborted).toBe(true)
    expect(stop.exitCode).toBe(1)
    expect(stop.reason).toBe('the run passed its deadline of 0 s (its plan plus a fixed margin)')
    expect(lines.join('')).toMatch(/^\nparallel-ble: the run passed its deadline .*; stopping: cells in flight end, then a partial result is written\n$/)
    stop.dispose()
  })

  it('writes what finished and exits (hardStop) when the run does not wind down in its grace', async () => {
    const hard: string[] = []
    const stop = stopOn('x', { deadlineMs: 20, graceMs: 30, write: () => {}, hardStop: (why) => void hard.push(why) })
    await sleep(100)
    expect(hard).toEqual([stop.reason])
    stop.dispose()
  })

  it('leaves a run that ended in time alone', async () => {
    const hard: string[] = []
    const stop = stopOn('x', { deadlineMs: 20, graceMs: 60, write: () => {}, hardStop: (why) => void hard.push(why) })
    await sleep(40)
    stop.dispose() // the run wound down and wrote its partial result
    await sleep(80)
    expect(hard).toEqual([])
  })

  it('never fires for a run that finished before it', async () => {
    const stop = stopOn('x', { deadlineMs: 40, write: () => {} })
    stop.dispose()
    await sleep(70)
    expect(stop.signal.aborted).toBe(false)
    expect(stop.exitCode).toBeUndefined()
  })
})

describe('signals', () => {
  it('takes the copy npm forwards of one Ctrl-C as the same press; a later one exits at once', async () => {
    const lines: string[] = []
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    const stop = stopOn('parallel-ble', { samePressMs: 50, write: (l) => void lines.push(l) })
    try {
      process.emit('SIGINT', 'SIGINT')
      process.emit('SIGINT', 'SIGINT')
      expect(stop.exitCode).toBe(130)
      expect(exit).not.toHaveBeenCalled()
      expect(lines).toHaveLength(1)
      await sleep(80)
      process.emit('SIGINT', 'SIGINT')
      expect(exit).toHaveBeenCalledWith(130)
      expect(lines[1]).toMatch(/SIGINT again: exiting at once/)
    } finally {
      stop.dispose()
      exit.mockRestore()
    }
  })
})
