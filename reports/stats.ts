/**
 * Mann–Whitney U (Wilcoxon rank-sum), one-sided: does sample B tend to be larger than sample A?
 * Chosen for the gate because it needs no normality, is robust to outliers, and with 3 repeats a
 * side already gives p = 0.05 when every repeat of B beats every repeat of A. Exact for small
 * samples without ties, normal approximation (with tie correction) otherwise.
 */
export interface MannWhitney {
  u: number
  /** P(U_B >= observed) under "no difference": small means B is larger. */
  p: number
  /** The smallest p these sample sizes can reach (complete separation). */
  minP: number
  exact: boolean
}

function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0])
  const out = new Array<number>(values.length)
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++
    const mid = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) out[order[k]![1]] = mid
    i = j + 1
  }
  return out
}

/** counts[u] = number of arrangements with statistic u, for sample sizes m and n (no ties). */
function exactCounts(m: number, n: number): number[] {
  // f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u); built bottom-up over (i, j).
  let prev: number[][] = Array.from({ length: n + 1 }, () => [1])
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]]
    for (let j = 1; j <= n; j++) {
      const a = prev[j]!
      const b = cur[j - 1]!
      const len = i * j + 1
      const row = new Array<number>(len).fill(0)
      for (let u = 0; u < len; u++) row[u] = (u - j >= 0 ? (a[u - j] ?? 0) : 0) + (b[u] ?? 0)
      cur.push(row)
    }
    prev = cur
  }
  return prev[n]!
}

function normalTail(z: number): number {
  // Abramowitz–Stegun 7.1.26 for erfc; accurate to ~1e-7.
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x)
  return z >= 0 ? erfc / 2 : 1 - erfc / 2
}

export function mannWhitneyGreater(a: readonly number[], b: readonly number[]): MannWhitney {
  const m = b.length
  const n = a.length
  if (m === 0 || n === 0) return { u: 0, p: 1, minP: 1, exact: true }
  const r = ranks([...b, ...a])
  const rankSumB = r.slice(0, m).reduce((s, x) => s + x, 0)
  const u = rankSumB - (m * (m + 1)) / 2 // times a B value beats an A value (ties count half)
  const ties = new Set(r).size !== r.length
  if (!ties && m + n <= 40) {
    const counts = exactCounts(m, n)
    const total = counts.reduce((s, x) => s + x, 0)
    let tail = 0
    for (let k = Math.ceil(u); k < counts.length; k++) tail += counts[k]!
    return { u, p: tail / total, minP: 1 / total, exact: true }
  }
  const mean = (m * n) / 2
  const tieGroups = new Map<number, number>()
  for (const x of r) tieGroups.set(x, (tieGroups.get(x) ?? 0) + 1)
  const N = m + n
  const tieTerm = [...tieGroups.values()].reduce((s, t) => s + (t ** 3 - t), 0) / (N * (N - 1))
  const sd = Math.sqrt(((m * n) / 12) * (N + 1 - tieTerm))
  const z = sd > 0 ? (u - mean - 0.5) / sd : 0
  let minP = 1
  for (let k = 0, c = 1; k < Math.min(m, n); k++) {
    c = (c * (N - k)) / (k + 1)
    minP = 1 / c
  }
  return { u, p: sd > 0 ? normalTail(z) : 1, minP, exact: false }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0
  const s = [...values].sort((x, y) => x - y)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
