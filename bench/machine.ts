/** Where and when the bench ran, so its figures are never read out of context. */
import os from 'node:os'
import { environment } from '../scenarios/environment.ts'

export interface Machine {
  cpuModel: string
  cores: number
  memoryGiB: number
  node: string
  platform: string
  git: string
  fleetbench: string
  date: string
  /** 1, 5 and 15 minute load averages when the bench started and when it ended. */
  loadAtStart: [number, number, number]
  loadAtEnd?: [number, number, number]
  mosquitto: string | undefined
  aedes: string
}

const round2 = (n: number): number => Math.round(n * 100) / 100
export const loadAverage = (): [number, number, number] => os.loadavg().map(round2) as [number, number, number]

export function machine(aedesVersion: string): Machine {
  const env = environment({ kind: 'aedes', version: aedesVersion, protocolVersion: 4, url: '', noDelay: true }, 1)
  return {
    cpuModel: env.cpuModel,
    cores: env.cpus,
    memoryGiB: env.memoryGiB,
    node: env.node,
    platform: env.platform,
    git: env.git,
    fleetbench: env.fleetbench,
    date: new Date().toISOString(),
    loadAtStart: loadAverage(),
    mosquitto: undefined,
    aedes: aedesVersion,
  }
}
