/** channel-capacity's terminal table: one row per capacity × policy (× fault). */
import { errorTotal } from '../../core/accounting.ts'
import type { CellResult, ChannelCell } from '../../core/result.ts'
import { formatMs, formatWait, num, type Column } from '../../reports/summary.ts'

const ch = (f: (c: ChannelCell) => string) => (c: CellResult): string => (c.kind === 'channel' ? f(c) : '-')
const mb = (bytes: number | undefined): string => (bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(1))

/** channel-capacity: one row per capacity × policy (× fault); the id is `<policy>-c<capacity>-<fault>`. */
export const CHANNEL_COLUMNS: Column[] = [
  { title: 'cell', value: (c) => c.id, align: 'left' },
  { title: 'status', value: (c) => c.status, align: 'left' },
  { title: 'sent', value: (c) => num(c.counts.sent) },
  { title: 'delivered', value: (c) => num(c.counts.ok) },
  { title: 'dropped', value: (c) => num(c.counts.dropped) },
  { title: 'try-full', value: (c) => num(c.counts.errors['try-full'] ?? 0) },
  { title: 'other err', value: (c) => num(errorTotal(c.counts) - (c.counts.errors['try-full'] ?? 0)) },
  { title: 'block p50', value: ch((c) => formatWait(c.blockingUs.p50)) },
  { title: 'block p99', value: ch((c) => formatWait(c.blockingUs.p99)) },
  { title: 'block max', value: ch((c) => formatWait(c.blockingUs.max)) },
  { title: 'e2e p50', value: (c) => formatMs(c.latencyUs.p50) },
  { title: 'e2e p99', value: (c) => formatMs(c.latencyUs.p99) },
  { title: 'uncorr p99', value: ch((c) => formatMs(c.latencyUncorrectedUs.p99)) },
  { title: 'max depth', value: ch((c) => num(c.channel.maxQueueDepth)) },
  { title: 'mem +MB', value: ch((c) => mb(c.channel.memoryGrowthBytes)) },
]
