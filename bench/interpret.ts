/**
 * The "what this run shows" sentences of docs/benchmarks.md, computed from the measured figures
 * only, so the text never contradicts the tables of the same run.
 */
import { int, ratio } from './format.ts'
import type { BenchReport } from './report-json.ts'
import { findCell, HEADLINE } from './summary.ts'

export function interpret(r: BenchReport): string[] {
  const out: string[] = []
  const f = r.floors
  if (f !== undefined) {
    const pairs = f.pairs.filter((p): p is typeof p & { loadgenVsBare: number } => p.loadgenVsBare !== null)
    if (pairs.length > 0) {
      const lo = pairs.reduce((a, b) => (b.loadgenVsBare < a.loadgenVsBare ? b : a))
      const hi = pairs.reduce((a, b) => (b.loadgenVsBare > a.loadgenVsBare ? b : a))
      const head = r.ratios.loadgenVsBare
      const spread = lo.loadgenVsBareRange ? `; single repeats ${ratio(lo.loadgenVsBareRange[0])} to ${ratio(lo.loadgenVsBareRange[1])}` : ''
      out.push(
        `(c)/(b) is ${ratio(head)} at the headline cell and ranges from ${ratio(lo.loadgenVsBare)} (${lo.broker}, QoS ${lo.qos}, ${lo.concurrency} in flight${spread}) to ${ratio(hi.loadgenVsBare)} (${hi.broker}, QoS ${hi.qos}, ${hi.concurrency} in flight) over ${pairs.length} cells. ` +
          (head !== null && head >= r.targets.loadgenVsBare.min
            ? 'At the headline cell fleetbench, recording every call into HDR histograms in a worker, takes less than 10% of the throughput a bare loop gets from the same broker.'
            : 'At the headline cell this is below the 0.9 target on this run; compare with the load average above before reading it as a regression, and rerun on a quiet machine.'),
      )
    }
    const bare = (qos: 0 | 1, concurrency: number) => findCell(f.cells, { floor: 'bare', broker: 'aedes', qos, concurrency })
    const tcp16 = findCell(f.cells, { floor: 'tcp', concurrency: HEADLINE.concurrency })
    const b16 = bare(1, HEADLINE.concurrency)
    if (tcp16 && b16) {
      out.push(
        `The broker hop is the cost: at 16 in flight the bare MQTT loop reaches ${ratio(r.ratios.bareVsTcp)} of raw TCP ping-pong (${int(b16.callsPerSec)} against ${int(tcp16.callsPerSec)} round trips/s). Each QoS 1 call is eight MQTT packets (request, reply and their PUBACKs, each both into and out of the broker), every one parsed, routed and written; the code on either side is a small part of that.`,
      )
    }
    const b1 = bare(1, 1)
    const q0 = bare(0, HEADLINE.concurrency)
    if (b1 && b16) out.push(`With one call in flight each call waits a full round trip through the broker (p50 ${Math.round(b1.p50Us)} µs for (b) on Aedes, QoS 1); 16 in flight let the broker batch reads and writes: ${ratio(b16.callsPerSec / b1.callsPerSec)}× the calls/s.`)
    if (q0 && b16) out.push(`QoS 0 against QoS 1 at 16 in flight, (b) on Aedes: ${ratio(q0.callsPerSec / b16.callsPerSec)}× the calls/s (no PUBACKs, no outgoing store).`)
    if (r.ratios.aedesVsMosquitto !== null) {
      out.push(
        `Aedes/Mosquitto = ${ratio(r.ratios.aedesVsMosquitto)} for (b) at 16 in flight, QoS 1. The embedded Aedes runs on the bench's main thread together with the responder (or the gateway), while Mosquitto is C in its own process, so this compares the setups fleetbench offers, not the brokers in isolation.`,
      )
    }
  }
  const s = r.workerScaling
  const one = s?.byWorkers.find((w) => w.workers === 1)
  const two = s?.byWorkers.find((w) => w.workers === 2)
  if (s && one && two) {
    const simCpu = two.simulatorCpuPct
    const saturated = simCpu !== null && simCpu >= 85
    out.push(
      `Worker scaling: 2 workers give ${ratio(s.speedup)}× the calls/s of 1 worker. ` +
        (simCpu === null
          ? 'The simulator\'s CPU could not be read on this platform.'
          : `The simulator process (broker and gateways, one event loop) used ${simCpu.toFixed(0)}% of a core with 2 workers and ${one.simulatorCpuPct?.toFixed(0) ?? 'n/a'}% with 1. `) +
        (saturated
          ? 'That is one event loop close to a full core: it cannot answer faster however many workers call it, so a second worker cannot add throughput here. More workers pay off when the system under test has more to give (a broker on other machines, or more cores than processes that need them).'
          : simCpu === null ? '' : notSaturated(r, simCpu + two.loadgenCpuPct)),
    )
  }
  const m = r.memory
  const tenK = m?.simulator.find((d) => d.devices === 10_000)
  const oneK = m?.simulator.find((d) => d.devices === 1_000)
  if (tenK) {
    out.push(
      `Memory: 10,000 devices on ${tenK.gateways} gateways run in one simulator process at ${tenK.rssKiB.toFixed(1)} KiB of RSS per device counting everything (target < ${r.targets.rssKiBPerDevice10k.max} KiB), ${tenK.rssKiBExYoung.toFixed(1)} KiB without the young generation's one-off growth${oneK ? ` (${oneK.rssKiBExYoung.toFixed(1)} KiB at 1,000 devices)` : ''}. ` +
        (m?.split ? `Most of it is the broker's subscriptions: ${m.split.broker.rssKiBExYoung.toFixed(1)} KiB per device when the broker is a separate process, against ${m.split.fleet.rssKiBExYoung.toFixed(1)} KiB for the devices and gateways themselves. ` : '') +
        (m?.idle ? `An idle MQTT.js connection costs ${m.idle.client.rssKiBExYoung.toFixed(0)} KiB in the client and ${m.idle.broker.rssKiBExYoung.toFixed(0)} KiB in Aedes, which is why a gateway is one connection for many devices.` : ''),
    )
  }
  const h = r.hdr
  if (h && h.recorderShareOfRpc !== null) {
    out.push(`Recording is not where the time goes: one ok call costs the recorder ${h.recorderNsPerCall.toFixed(0)} ns (two WebAssembly histogram records and a clock read), ${(100 * h.recorderShareOfRpc).toFixed(3)}% of one RPC's wall time; the JS build would cost ${(h.jsNsPerValue / h.wasmNsPerValue).toFixed(1)}× the WebAssembly one per value.`)
  }
  return out
}

/** Why 2 workers did not help although the simulator had CPU to spare: the machine did not. */
function notSaturated(r: BenchReport, usedPct: number): string {
  const cores = r.machine.cores
  const load = Math.max(r.machine.loadAtStart[0], r.machine.loadAtEnd?.[0] ?? 0)
  const busy = load >= cores / 2 ? ` Other work on this machine (load average up to ${load.toFixed(1)}) took much of the rest, so the simulator never got a full core.` : ''
  return `Together the simulator and the bench used ${usedPct.toFixed(0)}% of the machine's ${cores * 100}% (${cores} cores): two workers, their socket I/O and the simulator's event loop share the same CPUs, so a second worker competes with the broker for time rather than adding capacity.${busy}`
}
