/**
 * The Linux id of the calling thread, from /proc/thread-self (a link to /proc/PID/task/TID): a
 * thread that reports it lets the host read that thread's own CPU time in /proc/self/task/TID/stat.
 * Synchronous fs calls run on the calling thread, so a worker thread gets its own id. Undefined
 * where /proc is not available.
 */
import { readlinkSync } from 'node:fs'

export function linuxThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    return Number.isSafeInteger(tid) && tid > 0 ? tid : undefined
  } catch {
    return undefined
  }
}
