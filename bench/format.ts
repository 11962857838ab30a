/** Number formats shared by the Markdown report and its interpretation. */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US')
export const us = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(0)} ms` : n >= 1000 ? `${(n / 1000).toFixed(1)} ms` : `${Math.round(n)} µs`)
/** Two decimals; two significant digits below 0.1 (raw TCP makes some ratios tiny). */
export const ratio = (r: number | null | undefined): string => (r === null || r === undefined ? 'n/a' : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2))
export const kib = (n: number): string => n.toFixed(1)
export const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0)
export const pct = (n: number | null | undefined, digits = 0): string => (n === null || n === undefined ? 'n/a' : `${n.toFixed(digits)}%`)
/** 600000 → "10m", 90000 → "90s". */
export const formatDuration = (ms: number): string => (ms >= 60_000 && Math.round(ms / 1000) % 60 === 0 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 1000)}s`)
