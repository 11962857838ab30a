import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/support/manual-clock.ts'
import { periodicWindows, singleWindow, WindowTimer } from './windows.ts'

describe('fault windows', () => {
  it('periodic windows sit in the middle of each period, clipped to the duration', () => {
    expect(periodicWindows(3000, 1000, 400)).toEqual([
      { from: 300, to: 700 },
      { from: 1300, to: 1700 },
      { from: 2300, to: 2700 },
    ])
    expect(periodicWindows(1200, 1000, 400)).toEqual([{ from: 300, to: 700 }])
    expect(periodicWindows(1000, 500, 500)).toEqual([
      { from: 0, to: 500 },
      { from: 500, to: 1000 },
    ])
    expect(periodicWindows(1000, 500, 0)).toEqual([])
  })

  it('a single window starts where asked and ends at the duration at the latest', () => {
    expect(singleWindow(3000, 1000, 1000)).toEqual([{ from: 1000, to: 2000 }])
    expect(singleWindow(3000, 2500, 1000)).toEqual([{ from: 2500, to: 3000 }])
    expect(singleWindow(3000, 3000, 1000)).toEqual([])
  })

  it('WindowTimer turns the fault on and off at the exact times; finish lifts it early', async () => {
    const clock = new ManualClock(1000)
    const log: string[] = []
    const w = new WindowTimer(clock, periodicWindows(3000, 1000, 400), { on: () => log.push(`on@${clock.now()}`), off: () => log.push(`off@${clock.now()}`) })
    w.begin(1000)
    await clock.advance(2500)
    expect(log).toEqual(['on@1300', 'off@1700', 'on@2300', 'off@2700', 'on@3300'])
    expect([w.active, w.begun]).toEqual([true, 3])
    w.finish()
    expect(log.at(-1)).toBe('off@3500')
    expect([w.active, clock.pendingTimers]).toEqual([false, 0])
  })
})
