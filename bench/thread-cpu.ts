/**
 * CPU time per thread of this process, from /proc/self/task/TID/stat (Linux): user + system, in
 * clock ticks of 10 ms. Threads that report their own id (simulator/threads/thread-id.ts) can be
 * told apart; the rest are V8's and libuv's helpers. Empty where /proc is not available.
 */
import { readdirSync, readFileSync } from 'node:fs'

const TICK_MS = 10 // USER_HZ is 100 on every Linux this runs on

/** Thread ids of this process now. */
export function threadIds(): Set<number> {
  try {
    return new Set(readdirSync('/proc/self/task').map(Number))
  } catch {
    return new Set()
  }
}

/** CPU ms of every thread of this process, by thread id (a thread that ended in between is missing). */
export function threadCpuMs(): Map<number, number> {
  const out = new Map<number, number>()
  for (const tid of threadIds()) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      // after "tid (comm) ", field 0 is the state; utime and stime are fields 11 and 12
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(tid, (Number(fields[11]) + Number(fields[12])) * TICK_MS)
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out
}
