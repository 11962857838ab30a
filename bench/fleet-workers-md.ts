/** The `--fleet-workers` section of docs/benchmarks.md: calls/s per layout, CPU per thread, and what they imply for a bigger machine. */
import { int as fmtInt, pct as fmtPct, us as fmtUs } from './format.ts'
import type { FleetWorkersResult, FleetWorkersRun, ThreadShare } from './fleet-workers.ts'

const pct = (n: number): string => fmtPct(n)
const us = (n: number): string => (n >= 10 ? n.toFixed(0) : n.toFixed(1))
const layout = (n: number): string => (n === 0 ? 'broker and gateways on the main thread' : `broker thread + ${n} gateway thread${n > 1 ? 's' : ''}`)

/** Per-call CPU of a run by role: the broker, all gateway threads, the callers, the rest (main and helpers). */
export function perCallCosts(run: FleetWorkersRun): { broker: number; gateways: number; callers: number; rest: number } | undefined {
  if (run.fleetWorkers === 0 || run.shares.length === 0) return undefined
  const of = (pred: (s: ThreadShare) => boolean): number => run.shares.filter(pred).reduce((n, s) => n + s.cpuUsPerCall, 0)
  return {
    broker: of((s) => s.thread === 'broker'),
    gateways: of((s) => s.thread.startsWith('gateways')),
    callers: of((s) => s.thread.startsWith('callers')),
    rest: of((s) => s.thread.startsWith('main') || s.thread.startsWith('other')),
  }
}

/** What the figures imply for a machine of `cores` cores: each ceiling, computed from per-call CPU. */
export function projection(run: FleetWorkersRun, cores: number): { brokerCeiling: number; machineCeiling: number; gatewayThreads: number; callerThreads: number } | undefined {
  const c = perCallCosts(run)
  if (c === undefined || c.broker <= 0) return undefined
  const total = c.broker + c.gateways + c.callers + c.rest
  const machineCeiling = (cores * 1e6) / total
  const calls = Math.min(1e6 / c.broker, machineCeiling)
  // Threads each side needs to keep up at that rate, a core apiece.
  return { brokerCeiling: 1e6 / c.broker, machineCeiling, gatewayThreads: Math.ceil((calls * c.gateways) / 1e6), callerThreads: Math.ceil((calls * c.callers) / 1e6) }
}

export function fleetWorkersMarkdown(r: FleetWorkersResult, machineLine: string, cores: number): string {
  const out: string[] = ['## The fleet over threads (`--fleet-workers`)', '']
  out.push(
    `\`npm run bench -- --fleet-workers\` (${r.elapsedSec} s in all) on ${machineLine}; load average ${r.loadAtStart.join(', ')} at start, ${r.loadAtEnd.join(', ')} at end. ` +
      `parallel-ble's multiplexed cell, instant profile, loopback links (\`--caller-link loopback --gateway-link loopback\`), closed loop, QoS 1: ` +
      `${fmtInt(r.devices)} devices on ${r.gateways} gateways, ${r.users} users on ${r.callerWorkers} caller worker threads, round deadline ${r.roundTimeoutMs / 1000} s. ` +
      `The same process runs each layout in turn, ${r.warmMs / 1000} s of untimed warm-up then ${r.durationMs / 1000} s measured; the caller threads are kept warm for the whole run.`,
    '',
    '| fleet workers | layout | calls/s | vs 0 | p50 | p99 | calls failed |',
    '|---:|---|---:|---:|---:|---:|---:|',
  )
  const base = r.runs.find((x) => x.fleetWorkers === 0)
  for (const x of r.runs) {
    const vs = base && base.callsPerSec > 0 ? `${(x.callsPerSec / base.callsPerSec).toFixed(2)}` : '–'
    out.push(`| ${x.fleetWorkers} | ${layout(x.fleetWorkers)} | ${fmtInt(x.callsPerSec)} | ${vs} | ${fmtUs(x.p50Us)} | ${fmtUs(x.p99Us)} | ${fmtInt(x.errors)} |`)
  }
  if (r.perThreadCpu && r.runs.length > 0) {
    out.push(
      '',
      'CPU per thread during the measured run (`/proc/self/task/TID/stat`, user + system, 10 ms ticks), as a share of one core and per successful call; "event loop busy" is the thread\'s own `performance.eventLoopUtilization`. Each fleet thread reports its Linux thread id; the caller workers are the threads that appeared with their pool; "other" is every other thread of the process: V8\'s platform threads (garbage collection and compilation for every thread\'s heap), libuv\'s pool, module loaders.',
      '',
      '| fleet workers | thread | CPU, % of one core | CPU µs per call | event loop busy |',
      '|---:|---|---:|---:|---:|',
    )
    for (const x of r.runs) {
      for (const s of x.shares) out.push(`| ${x.fleetWorkers} | ${s.thread} | ${pct(s.cpuPct)} | ${us(s.cpuUsPerCall)} | ${s.eluPct === undefined ? '–' : pct(s.eluPct)} |`)
      const total = x.shares.reduce((n, s) => n + s.cpuPct, 0)
      out.push(`| ${x.fleetWorkers} | **process** | **${pct(total)}** | ${us(x.shares.reduce((n, s) => n + s.cpuUsPerCall, 0))} | |`)
    }
  }
  out.push('', ...reading(r, cores))
  if (r.notes.length > 0) out.push('', ...r.notes.map((n) => `- ${n}`))
  if (r.failures.length > 0) out.push('', ...r.failures.map((f) => `- **failed**: ${f}`))
  return out.join('\n')
}

/** Sentences computed from the figures: what this machine showed, and what a 16-core one should. */
function reading(r: FleetWorkersResult, cores: number): string[] {
  const lines: string[] = []
  const base = r.runs.find((x) => x.fleetWorkers === 0)
  const threaded = [...r.runs].filter((x) => x.fleetWorkers > 0).sort((a, b) => b.fleetWorkers - a.fleetWorkers)
  if (base) {
    const main = base.shares.find((s) => s.thread.startsWith('main'))
    lines.push(`- **0 fleet workers**: ${fmtInt(base.callsPerSec)} calls/s${main ? `, the main thread (Aedes and all ${r.gateways} gateways on one event loop) at ${pct(main.cpuPct)} of a core, ${us(main.cpuUsPerCall)} µs per call` : ''}.`)
  }
  for (const x of [...threaded].reverse()) {
    const busiest = x.shares.filter((s) => s.thread === 'broker' || s.thread.startsWith('gateways')).sort((a, b) => b.cpuPct - a.cpuPct)[0]
    const total = x.shares.reduce((n, s) => n + s.cpuPct, 0)
    lines.push(
      `- **${x.fleetWorkers} fleet worker${x.fleetWorkers > 1 ? 's' : ''}**: ${fmtInt(x.callsPerSec)} calls/s${base ? ` (${(x.callsPerSec / base.callsPerSec).toFixed(2)}× 0 workers)` : ''}` +
        (busiest ? `; the busiest fleet thread is ${busiest.thread} at ${pct(busiest.cpuPct)} of a core` : '') +
        (x.shares.length > 0 ? `, and the process used ${pct(total)} of the machine's ${cores * 100}%.` : '.'),
    )
  }
  const waited = threaded.flatMap((x) => x.shares.filter((s) => s.eluPct !== undefined && s.eluPct - s.cpuPct >= 20).map((s) => ({ x, s })))
  if (waited.length > 0) {
    const w = waited.sort((a, b) => b.s.eluPct! - b.s.cpuPct - (a.s.eluPct! - a.s.cpuPct))[0]!
    lines.push(`- With ${w.x.fleetWorkers} fleet worker${w.x.fleetWorkers > 1 ? 's' : ''} the ${w.s.thread} thread's event loop was busy ${pct(w.s.eluPct!)} of the time but on a core only ${pct(w.s.cpuPct)}: the rest it was ready to run and waiting for a core. This machine has fewer cores (${cores}) than busy threads, so here the layouts trade one event loop's queue for the scheduler's.`)
  }
  const best = threaded[0]
  const p = best && projection(best, 16)
  const c = best && perCallCosts(best)
  if (best && p && c) {
    lines.push(
      '',
      `How it is meant to scale on 16 cores. Each call costs, on this run with ${best.fleetWorkers} fleet workers: ${us(c.broker)} µs of CPU on the broker thread, ${us(c.gateways)} µs on the gateway threads together, ${us(c.callers)} µs on the callers and ${us(c.rest)} µs on the main thread and helpers. ` +
        `Gateways and callers split by thread (each gateway thread runs whole gateways, each caller worker whole users), so their share of a call can be spread over as many cores as there are; the embedded broker is one Aedes event loop and cannot. ` +
        `With every other thread given a core of its own, the broker thread saturates first, at about 1e6 / ${us(c.broker)} µs = **${fmtInt(p.brokerCeiling)} calls/s**; the CPU of all 16 cores would carry ${fmtInt(p.machineCeiling)} calls/s at these per-call costs, ` +
        `and ${fmtInt(Math.min(p.brokerCeiling, p.machineCeiling))} calls/s would need about ${p.gatewayThreads} gateway thread${p.gatewayThreads > 1 ? 's' : ''} and ${p.callerThreads} caller worker${p.callerThreads > 1 ? 's' : ''}: \`--fleet-workers ${Math.max(2, p.gatewayThreads)} --workers ${Math.max(2, p.callerThreads)}\`, and at least ${Math.max(2, p.gatewayThreads)} gateways so every thread has one. ` +
        `Past that the embedded broker is the limit and more fleet workers add nothing: attach the fleet to a broker that uses several cores (\`--broker\`, e.g. EMQX or a cluster), where the gateway and caller threads keep scaling. ` +
        `These per-call costs were measured with ${cores} cores shared by every thread (and by whatever else ran), so they include contention; on idle cores they should be a little lower, not higher.`,
    )
  }
  return lines
}
