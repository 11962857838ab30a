/**
 * Start-up progress of a big fleet on a terminal: one line, rewritten in place every `everyMs`,
 * with the gateways connected and the subscriptions acknowledged, erased when the fleet is up.
 * Nothing at all when the stream is not a TTY (logs and CI stay clean).
 */
import type { Fleet } from './fleet.ts'

export interface ProgressStream {
  isTTY?: boolean
  write(text: string): unknown
}

export interface StartProgress {
  /** Hand it the fleet as soon as it exists (startSimulation's `starting`). */
  watch(fleet: Fleet): void
  /** The fleet is up (or failed): erase the line and stop. */
  done(): void
}

/** The line for one moment of the start. */
export function progressLine(p: ReturnType<Fleet['progress']>, filtersTotal: number, elapsedMs: number): string {
  const n = (x: number): string => x.toLocaleString('en-US')
  return `starting: ${n(p.connected)}/${n(p.gateways)} gateways connected, ${n(p.ready)} subscribed, ${n(p.filtersAcked)}/${n(filtersTotal)} subscriptions acknowledged (${(elapsedMs / 1000).toFixed(1)} s)`
}

export function startProgress(stream: ProgressStream, everyMs = 200): StartProgress {
  let timer: NodeJS.Timeout | undefined
  let shown = false
  if (stream.isTTY !== true) return { watch: () => undefined, done: () => undefined }
  return {
    watch(fleet) {
      const started = performance.now()
      const total = fleet.gateways.reduce((sum, g) => sum + g.filterCount, 0)
      timer = setInterval(() => {
        stream.write(`\r\x1b[2K${progressLine(fleet.progress(), total, performance.now() - started)}`)
        shown = true
      }, everyMs)
      timer.unref()
    },
    done() {
      clearInterval(timer)
      timer = undefined
      if (shown) stream.write('\r\x1b[2K')
      shown = false
    },
  }
}
