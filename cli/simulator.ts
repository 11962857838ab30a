/**
 * `npm run simulator`: the broker and the BLE fleet on their own, so real clients (MQTTnet, rumqtt,
 * paho, mosquitto_rr) can be pointed at them. Ctrl-C closes everything cleanly.
 */
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { brokerAccess, brokerUrl, callerCredentials } from '../core/broker-access.ts'
import { duration, EXIT, integer, oneOf, readablePem, runMain, shardOf, strictParser, UsageError } from '../core/cli-support.ts'
import { prepareOutputDir, prepareOutputFile } from '../core/output.ts'
import { writeFileAtomic } from '../reports/write.ts'
import { checkThresholds } from '../reports/thresholds.ts'
import type { GroupBy } from '../scenarios/observe/cells.ts'
import { observeResult, writeRecording } from '../scenarios/observe/record.ts'
import { fleetEnv, runWrapped } from '../scenarios/observe/wrap.ts'
import { FleetRecorder } from '../simulator/observe/recorder.ts'
import { startSimulation, type Simulation } from '../simulator/fleet.ts'
import { hostOf, type FleetHost } from '../simulator/fleet-host.ts'
import { startThreadedSimulation } from '../simulator/threads/threaded-simulation.ts'
import { checkFleetWorkers, MAX_FLEET_WORKERS } from '../scenarios/fleet-workers.ts'
import { BROKER_SCHEMES, parseBrokerUrl } from '../core/mqtt-connect.ts'
import { checkOpenFiles, isOutOfFiles, outOfFilesMessage, openFilesLimit } from '../core/open-files.ts'
import { CONVENTIONS, checkConventionsFor311, filtersPerDevice, parseConventions, servedConventions } from '../simulator/conventions.ts'
import { DEFAULT_CONNECT_RATE, DEFAULT_RECONNECT_BACKOFF } from '../simulator/connection-policy.ts'
import { startProgress } from '../simulator/start-progress.ts'
import { backoffText, parseBackoffRange } from '../core/backoff.ts'
import { parseRate } from '../core/pacer.ts'
import { profileChoice, profileLabel, profileNames, profileOf } from '../simulator/profiles.ts'
import * as wire from '../core/protocol.ts'

const SCRIPT = 'simulator'
/** After a wrapped command exits, how long its unanswered requests may take before they count as dropped. */
const SETTLE_MS = 5_000

async function main(): Promise<number> {
  const argv = await strictParser(yargs(hideBin(process.argv)), 'npm run simulator --')
    .usage('$0 [options]\n\nRuns an MQTT broker (embedded Aedes, or --broker) and a fleet of simulated BLE devices.')
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'address the embedded broker binds' })
    .option('port', { type: 'string', default: '1883', describe: 'port of the embedded broker (0 = any free port)' })
    .option('ws-port', { type: 'string', describe: 'also serve MQTT over WebSocket on this port of --host (0 = any free port); clients use ws://host:port/mqtt' })
    .option('devices', { type: 'string', default: '200', describe: 'simulated BLE devices' })
    .option('gateways', { type: 'string', default: '4', describe: 'gateways sharing the devices' })
    .option('profile', { type: 'string', default: 'ble-default', describe: `device profile: a built-in (${profileNames().join(', ')}) or the path of a profile JSON file (README, Device profiles)` })
    .option('seed', { type: 'string', default: '1', describe: 'seed for device behaviour (same seed, same outcomes)' })
    .option('radio-slots', { type: 'string', describe: 'concurrent connection attempts per gateway (default: the profile\'s)' })
    .option('max-payload', { type: 'string', default: '65536', describe: 'largest request in bytes' })
    .option('broker', { type: 'string', describe: `attach the fleet to this external broker (${BROKER_SCHEMES}) instead` })
    .option('username', { type: 'string', describe: 'username for --broker' })
    .option('password', { type: 'string', describe: 'password for --broker' })
    .option('ca', { type: 'string', describe: 'PEM file of the CA that signed the mqtts:// or wss:// --broker\'s certificate' })
    .option('cert', { type: 'string', describe: 'PEM client certificate for an mqtts:// or wss:// --broker that requires one (with --key)' })
    .option('key', { type: 'string', describe: 'PEM private key of --cert' })
    .option('auth', { type: 'string', describe: 'user:password of the caller; locks the embedded broker down (per-gateway credentials and topic ACLs)' })
    .option('protocol', { type: 'string', default: 'auto', describe: 'MQTT version of the gateways: auto, 4 (3.1.1) or 5' })
    .option('conventions', { type: 'string', default: CONVENTIONS.join(','), describe: 'RPC conventions served: envelope and mqtt5 share 1 subscription per device, mqttnet costs 5 more' })
    .option('connect-rate', { type: 'string', default: `${DEFAULT_CONNECT_RATE}/s`, describe: `gateway connects per second, first connects and reconnects (a burst of rate/10 at once); 0 = all at once` })
    .option('reconnect-backoff', { type: 'string', default: backoffText(DEFAULT_RECONNECT_BACKOFF), describe: 'base..cap: reconnect attempt n waits a uniform draw below min(cap, base * 2^n), reset by a CONNACK; 0 = at once' })
    .option('fleet-workers', { type: 'string', default: '0', describe: 'threads running the gateways, the embedded broker on a thread of its own (0 = broker and gateways in one thread)' })
    .option('shard', { type: 'string', default: '0/1', describe: 'run shard i of n (0-based): the gateways whose index % n == i; needs --broker when n > 1' })
    .option('record', { type: 'string', describe: 'record every call served, per caller, and write DIR/result.json and DIR/report.html when the fleet stops' })
    .option('group-by', { type: 'string', default: 'client', describe: 'one result cell per client (MQTT client id) or per client-prefix (ids without their trailing number)' })
    .option('threshold', { type: 'string', array: true, describe: "with --record: a threshold on the recorded callers, e.g. '*:p99<250ms' (repeatable)" })
    .option('duration', { type: 'string', describe: 'stop after this long (e.g. 60s); default: at Ctrl-C, or when the command after -- exits' })
    .option('ready-file', { type: 'string', describe: 'write the broker URL to this file once the fleet answers calls' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no banner and no table' })
    .usage('$0 [options] [-- CMD ARGS...]\n\nWith --record DIR -- CMD: runs CMD with FLEET_BROKER_URL, FLEET_DEVICES, FLEET_DEVICES_FILE and FLEET_GATEWAYS set, stops when it exits, and exits with its code (else 99 when a threshold failed).')
    .parserConfiguration({ 'camel-case-expansion': true, 'populate--': true })
    .parseAsync()

  const devices = integer('devices', argv.devices, 1, 1_000_000)
  const gateways = integer('gateways', argv.gateways, 1, Math.min(10_000, devices))
  const profileChosen = profileChoice('profile', argv.profile)
  const profile = profileOf(profileChosen)
  const seed = integer('seed', argv.seed, 0, 2 ** 32 - 1)
  const port = integer('port', argv.port, 0, 65535)
  const wsPort = argv.wsPort === undefined ? undefined : integer('ws-port', argv.wsPort, 0, 65535)
  if (wsPort !== undefined && wsPort !== 0 && wsPort === port) throw new UsageError(`--ws-port ${wsPort} is also --port: give the WebSocket listener a port of its own (0 = any free port)`)
  const radioSlots = argv.radioSlots === undefined ? undefined : integer('radio-slots', argv.radioSlots, 1, 100_000)
  const maxPayloadBytes = integer('max-payload', argv.maxPayload, 256, 256 * 1024 * 1024)
  const protocol = oneOf('protocol', argv.protocol, ['auto', '4', '5'] as const)
  const auth = argv.auth === undefined ? undefined : callerCredentials('auth', argv.auth)
  const shard = shardOf('shard', argv.shard)
  if (shard && argv.broker === undefined) throw new UsageError(`--shard ${argv.shard} needs --broker: the shards' gateways must meet on one broker`)
  const fleetWorkers = integer('fleet-workers', argv.fleetWorkers, 0, MAX_FLEET_WORKERS)
  checkFleetWorkers({ fleetWorkers, gateways, shard, auth, record: argv.record })
  const conventions = parseConventions('conventions', argv.conventions)
  if (argv.broker === undefined) checkConventionsFor311('conventions', conventions)
  const connectRate = parseRate('connect-rate', argv.connectRate)
  const reconnectBackoff = parseBackoffRange('reconnect-backoff', argv.reconnectBackoff, 0)
  const tls = { ca: pemFile('ca', argv.ca), cert: pemFile('cert', argv.cert), key: pemFile('key', argv.key) }
  const broker = argv.broker === undefined ? undefined : brokerUrl('broker', argv.broker)
  const { external } = brokerAccess({ broker, username: argv.username, password: argv.password, auth, ...tls })
  if (external && wsPort !== undefined) throw new UsageError('--ws-port opens a WebSocket listener on the embedded broker; with --broker, point WebSocket clients at the broker\'s own ws:// URL')
  // Each gateway holds one socket, and on the embedded broker the broker's end of it too.
  const perGateway = external ? 1 : 2
  checkOpenFiles(Math.ceil(gateways / (shard?.count ?? 1)) * perGateway, `--gateways ${gateways}${external ? '' : ' on the embedded broker'}`, 'fewer --gateways')
  const command = ((argv['--'] as unknown[] | undefined) ?? []).map(String)
  const thresholds = [...(argv.threshold ?? [])]
  const rec = recordingOptions(argv.record, command, thresholds, oneOf('group-by', argv.groupBy, ['client', 'client-prefix'] as const))
  const readyFile = argv.readyFile === undefined ? undefined : prepareOutputFile('--ready-file', argv.readyFile)
  const stopAfterMs = argv.duration === undefined ? undefined : duration('duration', argv.duration, 100, 30 * 24 * 3_600_000)
  const startedAt = new Date()
  const recorder = rec ? new FleetRecorder() : undefined
  // One line on stderr while a big fleet connects and subscribes, on a terminal only.
  const progress = startProgress(argv.quiet ? { isTTY: false, write: () => true } : process.stderr)

  let sim: Simulation | undefined
  let host: FleetHost
  try {
    const fleet = { devices, gateways, profile, seed, radioSlots, maxPayloadBytes, protocolVersion: protocol === 'auto' ? 'auto' : protocol === '5' ? 5 : 4, shard, recorder, conventions, connectRate, reconnectBackoff } as const
    const where = { external, embedded: { host: argv.host, port, wsPort, auth, onServerError: serverErrorReporter() }, starting: progress.watch }
    if (fleetWorkers > 0) host = await startThreadedSimulation(fleet, where, { workers: fleetWorkers, onThreadEnd: (why) => void process.stderr.write(`simulator: warning: ${why}\n`) })
    else host = hostOf((sim = await startSimulation(fleet, where)))
  } catch (err) {
    progress.done()
    const e = err as NodeJS.ErrnoException
    if (isOutOfFiles(e)) throw new UsageError(e.message.startsWith('out of file descriptors') ? e.message : outOfFilesMessage(openFilesLimit(), e.code as 'EMFILE'))
    if (e.code === 'EADDRINUSE' && wsPort !== undefined && (e as { port?: number }).port === wsPort) throw new UsageError(`--ws-port ${wsPort} on ${argv.host} is in use; pick another (0 = any free port)`)
    if (e.code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${argv.host} is in use; pick another with --port (0 = any free port)`)
    if (e.code === 'EADDRNOTAVAIL') throw new UsageError(`--host ${argv.host} is not an address of this machine`)
    throw new UsageError(`cannot start the fleet on ${external?.url ?? 'the embedded broker'}: ${e.message}; check --broker and credentials`)
  }
  progress.done()
  const connecting = `conventions ${conventions.join(',')} (${filtersPerDevice(servedConventions(conventions))} subscriptions per device), connects ${connectRate > 0 ? `${connectRate}/s` : 'all at once'}, reconnect backoff ${backoffText(reconnectBackoff)}`
  if (!argv.quiet) printBanner(host, profileLabel(profileChosen), seed, auth?.username, rec !== undefined, fleetWorkers, connecting)
  if (readyFile !== undefined) await writeFileAtomic(readyFile, `${host.brokerUrl}\n`)

  const ended = command.length > 0 && rec && sim ? await runWrapped(command, fleetEnv(sim, rec.dir)) : { code: 0, endedBy: await stopped(stopAfterMs) }
  // The command is gone: let the devices answer what it left in flight, and the broker see it leave.
  if (command.length > 0) await recorder?.settle(SETTLE_MS)
  if (!argv.quiet) process.stdout.write('\nstopping: clearing the registry and closing connections…\n')
  const s = await host.stats().catch(() => undefined)
  const options = { devices, gateways, profile: profileChosen, seed, radioSlots, protocol, groupBy: argv.groupBy, broker: external?.url, command: command.join(' ') || undefined }
  const result = recorder && rec && sim ? observeResult(sim, recorder, { ...rec, options, startedAt, endedBy: ended.endedBy }) : undefined
  await host.close()
  if (!argv.quiet && s) process.stdout.write(`stopped. requests received ${s.received}, replied ${s.repliedOk + s.repliedError} (${s.repliedError} errors), dropped ${s.dropped}\n`)
  if (!result || !rec) return 0
  const written = await writeRecording(result, rec.dir, argv.quiet)
  if (ended.code !== 0) return ended.code
  if (written.fallback) return EXIT.internal
  return result.thresholds.some((t) => !t.pass) ? EXIT.thresholds : EXIT.ok
}

function printBanner(sim: FleetHost, profile: string, seed: number, caller: string | undefined, recording: boolean, fleetWorkers: number, connecting: string): void {
  const { host, port } = parseBrokerUrl(sim.brokerUrl)
  const gws = sim.gateways
  const v5 = sim.protocolVersion === 5
  const first = gws[0] && gws[0].deviceIds.size > 0 ? gws[0].deviceIds.at(0) : 'ble-0001'
  const overWs = parseBrokerUrl(sim.brokerUrl).transport === 'ws'
  // A locked-down broker refuses the two-connection demo (the publisher does not own fleet/reply/demo).
  const tryIt = overWs
    ? `  (the mosquitto clients speak TCP only: point them at the broker's mqtt:// listener, or use a WebSocket MQTT client on ${sim.brokerUrl})`
    : caller !== undefined
      ? `  mosquitto_sub -h ${host} -p ${port} -u ${caller} -P <password> -t '${wire.REGISTRY_FILTER}' -v -C ${gws.length} -W 5`
      : v5
        ? `  mosquitto_rr -h ${host} -p ${port} -V mqttv5 -t ${wire.requestTopic(first, 'info')} -e fleet/reply/demo -m '{}'`
        : `  mosquitto_sub -h ${host} -p ${port} -t fleet/reply/demo -C 1 -W 10 & sleep 0.5; mosquitto_pub -h ${host} -p ${port} -q 1 -t ${wire.requestTopic(first, 'info')} -m '{"id":"1","replyTo":"fleet/reply/demo","params":{}}'`
  const lines = [
    `broker   ${sim.brokerUrl}  (${sim.embedded ? `embedded Aedes ${sim.embedded.version}, MQTT 3.1.1${fleetWorkers > 0 ? ', on a thread of its own' : ''}` : `external, gateways speak MQTT ${v5 ? '5' : '3.1.1'}`})`,
    ...(sim.embedded?.wsUrl === undefined ? [] : [`ws       ${sim.embedded.wsUrl}  (MQTT over WebSocket, subprotocol mqtt, any path)`]),
    `fleet    ${sim.deviceCount} devices on ${gws.length} gateways, profile ${profile}, seed ${seed}${fleetWorkers > 0 ? `, gateways on ${Math.min(fleetWorkers, gws.length)} threads` : ''}`,
    ...gws.map((g) => {
      const ids = g.deviceIds
      return `  ${g.id.padEnd(8)} ${ids.size} devices  ${ids.size > 0 ? ids.at(0) : ''}${ids.size > 1 ? ` … ${ids.at(ids.size - 1)}` : ''}  batch: ${wire.batchTopic(g.id)}`
    }),
    `serving  ${connecting}`,
    `registry retained on ${wire.REGISTRY_FILTER}`,
    ...(caller === undefined ? [] : [
      `auth     locked down: callers log in as ${caller} and get replies only on fleet/reply/{their client id}; each gateway has its own credentials`,
    ]),
    '',
    'try it:',
    tryIt,
    '',
    recording ? 'ready, recording every call. Ctrl-C to stop and write the result.' : 'ready. Ctrl-C to stop.',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

/** Prints, once, why the embedded broker could not accept a connection (EMFILE names the limit and the fix). */
function serverErrorReporter(): (err: NodeJS.ErrnoException) => void {
  let told = false
  return (err) => {
    if (told) return
    told = true
    const why = isOutOfFiles(err) ? outOfFilesMessage(openFilesLimit(), err.code as 'EMFILE') : err.message
    process.stderr.write(`simulator: warning: the broker refused a connection: ${why}\n`)
  }
}

/** A PEM file path that this process can read, or a one-line usage error. */
const pemFile = (name: string, path: string | undefined): string | undefined => (path === undefined ? undefined : readablePem(name, path))

/** --record DIR (proven writable now), its thresholds checked, or undefined; `-- CMD` needs it. */
function recordingOptions(record: string | undefined, command: string[], thresholds: string[], groupBy: GroupBy): { dir: string; thresholds: string[]; groupBy: GroupBy } | undefined {
  if (record === undefined) {
    if (command.length > 0) throw new UsageError('-- CMD needs --record DIR: the fleet records what CMD does and writes DIR/result.json')
    if (thresholds.length > 0) throw new UsageError('--threshold needs --record DIR: thresholds judge the recorded callers')
    return undefined
  }
  return { dir: prepareOutputDir('--record', record), thresholds: checkThresholds(thresholds), groupBy }
}

/** Until SIGINT/SIGTERM, or --duration: how it ended. */
function stopped(afterMs: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    const timer = afterMs === undefined ? undefined : setTimeout(() => done(`--duration ${afterMs / 1000}s passed`), afterMs)
    const done = (why: string): void => {
      clearTimeout(timer)
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolve(why)
    }
    const onInt = (): void => done('Ctrl-C')
    const onTerm = (): void => done('SIGTERM')
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
  })
}

void runMain(SCRIPT, main)
