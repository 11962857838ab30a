/**
 * Named network links (`--caller-link`, `--gateway-link`) and the spec they are written in:
 * `rtt=40ms,jitter=5ms,bandwidth=1mbit,loss=1%`. A link is symmetric and applied per direction by
 * the fault proxy: each way waits rtt/2 plus a uniform jitter in [0, jitter/2), so a round trip
 * takes from rtt to rtt + jitter; each way carries `bandwidth` per connection; a lost segment is
 * retransmitted after the RTO (see link.ts), which TCP sees as delay, never as lost bytes.
 */
import { UsageError } from '../../core/cli-support.ts'
import { MIN_RTO_MS, type LinkConditions } from './link.ts'

export interface LinkSpec {
  /** A profile's name, or `custom` for a spec. */
  name: string
  rttMs: number
  jitterMs: number
  /** Bytes per second each way; 0 = unlimited. */
  bandwidthBytesPerSec: number
  /** Per cent of segments lost, 0..50. */
  lossPct: number
}

const link = (name: string, rttMs: number, jitterMs = 0, bandwidthBytesPerSec = 0, lossPct = 0): LinkSpec => ({ name, rttMs, jitterMs, bandwidthBytesPerSec, lossPct })

export const LINK_PROFILES: Readonly<Record<string, LinkSpec>> = {
  loopback: link('loopback', 0),
  lan: link('lan', 1),
  wan: link('wan', 40, 5),
  cellular: link('cellular', 120, 40, 2_000_000 / 8, 0.5),
  satellite: link('satellite', 600, 50),
}

export const LINK_NAMES = Object.keys(LINK_PROFILES)

const UNITS: Record<string, number> = { bit: 1 / 8, kbit: 1e3 / 8, mbit: 1e6 / 8, gbit: 1e9 / 8, b: 1, kb: 1e3, mb: 1e6, gb: 1e9 }
const FORM = `a name (${LINK_NAMES.join(', ')}) or a spec like rtt=40ms,jitter=5ms,bandwidth=1mbit,loss=1%`

function timeMs(flag: string, key: string, v: string, max: number): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(v)
  const n = m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : Number.NaN
  if (!(n >= 0 && n <= max)) throw new UsageError(`--${flag}: ${key} must be a time like 40ms or 1.5s (0 to ${max / 1000} s), got ${JSON.stringify(v)}`)
  return n
}

/** Parses a link name or spec; throws a UsageError naming the flag and the part that is wrong. */
export function parseLink(flag: string, raw: string): LinkSpec {
  const text = raw.trim().toLowerCase()
  if (Object.hasOwn(LINK_PROFILES, text)) return { ...LINK_PROFILES[text]! }
  if (!text.includes('=')) throw new UsageError(`--${flag} must be ${FORM}, got ${JSON.stringify(raw)}`)
  const spec = link('custom', 0)
  const seen = new Set<string>()
  for (const part of text.split(',')) {
    const [key = '', value = '', ...rest] = part.split('=').map((s) => s.trim())
    if (rest.length > 0 || value === '') throw new UsageError(`--${flag}: ${JSON.stringify(part)} is not key=value; write ${FORM}`)
    if (seen.has(key)) throw new UsageError(`--${flag}: ${key} is given twice in ${JSON.stringify(raw)}; give it once`)
    seen.add(key)
    if (key === 'rtt') spec.rttMs = timeMs(flag, key, value, 60_000)
    else if (key === 'jitter') spec.jitterMs = timeMs(flag, key, value, 60_000)
    else if (key === 'bandwidth') {
      const m = /^(\d+(?:\.\d+)?)([a-z]+)$/.exec(value)
      const unit = m ? UNITS[m[2]!] : undefined
      const bytes = m && unit ? Number(m[1]) * unit : Number.NaN
      if (!(bytes >= 1)) throw new UsageError(`--${flag}: bandwidth must be a rate like 2mbit, 512kbit or 1mb (bytes/s), at least 8bit, got ${JSON.stringify(value)}`)
      spec.bandwidthBytesPerSec = bytes
    } else if (key === 'loss') {
      const m = /^(\d+(?:\.\d+)?)%$/.exec(value)
      const pct = m ? Number(m[1]) : Number.NaN
      if (!(pct >= 0 && pct <= 50)) throw new UsageError(`--${flag}: loss must be a percentage from 0% to 50%, like 0.5%, got ${JSON.stringify(value)}`)
      spec.lossPct = pct
    } else throw new UsageError(`--${flag}: unknown key ${JSON.stringify(key)}; use rtt, jitter, bandwidth and loss`)
  }
  return spec
}

const bw = (b: number): string => (b % (1e6 / 8) === 0 ? `${(b * 8) / 1e6}mbit` : b % (1e3 / 8) === 0 ? `${(b * 8) / 1e3}kbit` : `${b * 8}bit`)

/** The spec form of a link (parses back to the same figures). */
export function linkSpecText(l: LinkSpec): string {
  const parts = [`rtt=${l.rttMs}ms`]
  if (l.jitterMs > 0) parts.push(`jitter=${l.jitterMs}ms`)
  if (l.bandwidthBytesPerSec > 0) parts.push(`bandwidth=${bw(l.bandwidthBytesPerSec)}`)
  if (l.lossPct > 0) parts.push(`loss=${l.lossPct}%`)
  return parts.join(',')
}

/** How results and reports name a link: `cellular (rtt=120ms,jitter=40ms,bandwidth=2mbit,loss=0.5%)`. */
export function describeLink(l: LinkSpec): string {
  if (isLoopback(l)) return l.name === 'custom' ? 'loopback (rtt=0ms)' : `${l.name} (no shaping)`
  return `${l.name === 'custom' ? 'custom' : l.name} (${linkSpecText(l)})`
}

/** True when the link shapes nothing (no proxy is needed). */
export const isLoopback = (l: LinkSpec): boolean => l.rttMs === 0 && l.jitterMs === 0 && l.bandwidthBytesPerSec === 0 && l.lossPct === 0

/** The conditions of each direction of the link, for the fault proxy; undefined for loopback. */
export function linkConditions(l: LinkSpec): LinkConditions | undefined {
  if (isLoopback(l)) return undefined
  return {
    latencyMs: l.rttMs / 2,
    jitterMs: l.jitterMs / 2,
    bandwidth: l.bandwidthBytesPerSec,
    loss: l.lossPct / 100,
    // Linux: RTO = srtt + max(200 ms, 4·rttvar); a uniform jitter J has a deviation of about J/3.5.
    retransmitMs: l.rttMs + Math.max(MIN_RTO_MS, (4 * l.jitterMs) / 3.5),
  }
}
