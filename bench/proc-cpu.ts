/**
 * CPU time of another process from /proc/PID/stat (Linux): steady under contention, unlike
 * wall-clock throughput, so it shows which process limits a run. Resolution is one clock tick
 * (10 ms); measurements here last seconds. Undefined where /proc is not available.
 */
import { readFileSync } from 'node:fs'

const TICK_MS = 10 // USER_HZ is 100 on every Linux this runs on

export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // after "pid (comm) ", field 0 is the state; utime and stime are fields 11 and 12
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  } catch {
    return undefined
  }
}
