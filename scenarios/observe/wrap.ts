/**
 * `npm run simulator -- --record DIR -- CMD ARGS…`: like start-server-and-test, the fleet runs for as
 * long as CMD does, and CMD learns where it is from its environment.
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { constants } from 'node:os'
import type { Simulation } from '../../simulator/fleet.ts'

/** Linux caps one environment string at 128 KiB; past this the device list is in the file only. */
const ENV_DEVICES_MAX = 100_000

export interface FleetEnv {
  FLEET_BROKER_URL: string
  FLEET_GATEWAYS: string
  FLEET_DEVICES_FILE: string
  FLEET_DEVICES?: string
}

/** The environment a wrapped command gets; the device list is also written to `dir/devices.txt`, one id per line. */
export function fleetEnv(sim: Simulation, dir: string): FleetEnv {
  const devices = sim.fleet.gateways.flatMap((g) => [...g.devices.keys()])
  const file = join(dir, 'devices.txt')
  writeFileSync(file, `${devices.join('\n')}\n`)
  const list = devices.join(',')
  return {
    FLEET_BROKER_URL: sim.brokerUrl,
    FLEET_GATEWAYS: sim.fleet.gateways.map((g) => g.id).join(','),
    FLEET_DEVICES_FILE: file,
    ...(list.length <= ENV_DEVICES_MAX ? { FLEET_DEVICES: list } : {}),
  }
}

export interface Wrapped {
  /** CMD's exit code (128 + signal number when a signal ended it). */
  code: number
  /** How it ended, for the result's notes. */
  endedBy: string
}

/** Runs CMD with the fleet's environment and inherited stdio; SIGINT/SIGTERM are passed on to it. */
export function runWrapped(cmd: readonly string[], env: FleetEnv): Promise<Wrapped> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: 'inherit', env: { ...process.env, ...env } })
    const pass = (sig: NodeJS.Signals): void => void child.kill(sig)
    process.on('SIGINT', pass)
    process.on('SIGTERM', pass)
    const done = (w: Wrapped): void => {
      process.off('SIGINT', pass)
      process.off('SIGTERM', pass)
      resolve(w)
    }
    child.once('error', (err) => done({ code: 127, endedBy: `the command could not start (${err.message})` }))
    child.once('exit', (code, signal) => {
      if (signal) done({ code: 128 + (constants.signals[signal] ?? 0), endedBy: `the command was ended by ${signal}` })
      else done({ code: code ?? 1, endedBy: `the command exited with code ${code ?? 1}` })
    })
  })
}
