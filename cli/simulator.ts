/**
 * `npm run simulator`: the broker and the BLE fleet on their own, so real clients (MQTTnet, rumqtt,
 * paho, mosquitto_rr) can be pointed at them. Ctrl-C closes everything cleanly.
 */
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { brokerAccess, brokerUrl, callerCredentials } from '../core/broker-access.ts'
import { integer, oneOf, readablePem, runMain, shardOf, strictParser, UsageError } from '../core/cli-support.ts'
import { startSimulation, type Simulation } from '../simulator/fleet.ts'
import { parseBrokerUrl } from '../core/mqtt-connect.ts'
import { getProfile, profileNames } from '../simulator/profiles.ts'
import * as wire from '../core/protocol.ts'

const SCRIPT = 'simulator'

async function main(): Promise<number> {
  const argv = await strictParser(yargs(hideBin(process.argv)), 'npm run simulator --')
    .usage('$0 [options]\n\nRuns an MQTT broker (embedded Aedes, or --broker) and a fleet of simulated BLE devices.')
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'address the embedded broker binds' })
    .option('port', { type: 'string', default: '1883', describe: 'port of the embedded broker (0 = any free port)' })
    .option('devices', { type: 'string', default: '200', describe: 'simulated BLE devices' })
    .option('gateways', { type: 'string', default: '4', describe: 'gateways sharing the devices' })
    .option('profile', { type: 'string', default: 'ble-default', describe: `device profile: ${profileNames().join(', ')}` })
    .option('seed', { type: 'string', default: '1', describe: 'seed for device behaviour (same seed, same outcomes)' })
    .option('radio-slots', { type: 'string', describe: 'concurrent connection attempts per gateway (default: the profile\'s)' })
    .option('max-payload', { type: 'string', default: '65536', describe: 'largest request in bytes' })
    .option('broker', { type: 'string', describe: 'attach the fleet to this external broker (mqtt:// or mqtts://) instead' })
    .option('username', { type: 'string', describe: 'username for --broker' })
    .option('password', { type: 'string', describe: 'password for --broker' })
    .option('ca', { type: 'string', describe: 'PEM file of the CA that signed the mqtts:// --broker\'s certificate' })
    .option('cert', { type: 'string', describe: 'PEM client certificate for an mqtts:// --broker that requires one (with --key)' })
    .option('key', { type: 'string', describe: 'PEM private key of --cert' })
    .option('auth', { type: 'string', describe: 'user:password of the caller; locks the embedded broker down (per-gateway credentials and topic ACLs)' })
    .option('protocol', { type: 'string', default: 'auto', describe: 'MQTT version of the gateways: auto, 4 (3.1.1) or 5' })
    .option('shard', { type: 'string', default: '0/1', describe: 'run shard i of n (0-based): the gateways whose index % n == i; needs --broker when n > 1' })
    .parseAsync()

  const devices = integer('devices', argv.devices, 1, 1_000_000)
  const gateways = integer('gateways', argv.gateways, 1, Math.min(10_000, devices))
  const profile = getProfile(oneOf('profile', argv.profile, profileNames()))!
  const seed = integer('seed', argv.seed, 0, 2 ** 32 - 1)
  const port = integer('port', argv.port, 0, 65535)
  const radioSlots = argv.radioSlots === undefined ? undefined : integer('radio-slots', argv.radioSlots, 1, 100_000)
  const maxPayloadBytes = integer('max-payload', argv.maxPayload, 256, 256 * 1024 * 1024)
  const protocol = oneOf('protocol', argv.protocol, ['auto', '4', '5'] as const)
  const auth = argv.auth === undefined ? undefined : callerCredentials('auth', argv.auth)
  const shard = shardOf('shard', argv.shard)
  if (shard && argv.broker === undefined) throw new UsageError(`--shard ${argv.shard} needs --broker: the shards' gateways must meet on one broker`)
  const tls = { ca: pemFile('ca', argv.ca), cert: pemFile('cert', argv.cert), key: pemFile('key', argv.key) }
  const broker = argv.broker === undefined ? undefined : brokerUrl('broker', argv.broker)
  const { external } = brokerAccess({ broker, username: argv.username, password: argv.password, auth, ...tls })

  let sim: Simulation
  try {
    sim = await startSimulation(
      { devices, gateways, profile, seed, radioSlots, maxPayloadBytes, protocolVersion: protocol === 'auto' ? 'auto' : protocol === '5' ? 5 : 4, shard },
      { external, embedded: { host: argv.host, port, auth } },
    )
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${argv.host} is in use; pick another with --port (0 = any free port)`)
    if (e.code === 'EADDRNOTAVAIL') throw new UsageError(`--host ${argv.host} is not an address of this machine`)
    throw new UsageError(`cannot start the fleet on ${external?.url ?? 'the embedded broker'}: ${e.message}; check --broker and credentials`)
  }
  printBanner(sim, profile.name, seed, auth?.username)

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      process.stdout.write('\nstopping: clearing the registry and closing connections…\n')
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  const s = sim.fleet.stats()
  await sim.close()
  process.stdout.write(`stopped. requests received ${s.received}, replied ${s.repliedOk + s.repliedError} (${s.repliedError} errors), dropped ${s.dropped}\n`)
  return 0
}

function printBanner(sim: Simulation, profile: string, seed: number, caller: string | undefined): void {
  const { host, port } = parseBrokerUrl(sim.brokerUrl)
  const gws = sim.fleet.gateways
  const v5 = gws.every((g) => g.protocolVersion === 5)
  const first = gws[0]?.devices.keys().next().value ?? 'ble-0001'
  // A locked-down broker refuses the two-connection demo (the publisher does not own fleet/reply/demo).
  const tryIt = caller !== undefined
    ? `  mosquitto_sub -h ${host} -p ${port} -u ${caller} -P <password> -t '${wire.REGISTRY_FILTER}' -v -C ${gws.length} -W 5`
    : v5
      ? `  mosquitto_rr -h ${host} -p ${port} -V mqttv5 -t ${wire.requestTopic(first, 'info')} -e fleet/reply/demo -m '{}'`
      : `  mosquitto_sub -h ${host} -p ${port} -t fleet/reply/demo -C 1 -W 10 & sleep 0.5; mosquitto_pub -h ${host} -p ${port} -q 1 -t ${wire.requestTopic(first, 'info')} -m '{"id":"1","replyTo":"fleet/reply/demo","params":{}}'`
  const lines = [
    `broker   ${sim.brokerUrl}  (${sim.broker ? `embedded Aedes ${sim.broker.version}, MQTT 3.1.1` : `external, gateways speak MQTT ${v5 ? '5' : '3.1.1'}`})`,
    `fleet    ${sim.fleet.deviceCount} devices on ${gws.length} gateways, profile ${profile}, seed ${seed}`,
    ...gws.map((g) => {
      const ids = [...g.devices.keys()]
      return `  ${g.id.padEnd(8)} ${ids.length} devices  ${ids[0] ?? ''}${ids.length > 1 ? ` … ${ids[ids.length - 1]}` : ''}  batch: ${wire.batchTopic(g.id)}`
    }),
    `registry retained on ${wire.REGISTRY_FILTER}`,
    ...(caller === undefined ? [] : [
      `auth     locked down: callers log in as ${caller} and get replies only on fleet/reply/{their client id}; each gateway has its own credentials`,
    ]),
    '',
    'try it:',
    tryIt,
    '',
    'ready. Ctrl-C to stop.',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

/** A PEM file path that this process can read, or a one-line usage error. */
const pemFile = (name: string, path: string | undefined): string | undefined => (path === undefined ? undefined : readablePem(name, path))

void runMain(SCRIPT, main)
