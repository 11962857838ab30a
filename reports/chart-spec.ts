/** The shape of one chart in the HTML report (what uPlot draws), its colours, and x alignment. */

export interface ChartLine {
  label: string
  color: string
  /** Canvas line dash, e.g. [6, 4] for the baseline. */
  dash?: number[]
  /** A baseline line names the line it overlays; the legend toggles both together. */
  baselineOf?: string
  values: Array<number | null>
}

export interface ChartSpec {
  id: string
  title: string
  /** One sentence under the title saying how to read the chart. */
  explain: string
  /** percentile: values are 1/(1-p), drawn on a log scale and labelled as percentiles. */
  x: { kind: 'percentile' | 'seconds' | 'category'; label: string; categories?: string[] }
  /** ratio: a plain number shown with two decimals (messages per sample, CPU µs per sample, %). */
  y: { label: string; unit: 'ms' | 'perSec' | 'count' | 'ratio'; log: boolean }
  /** Draw a dot at every point (sparse x). */
  points: boolean
  xs: number[]
  lines: ChartLine[]
}

/** Tableau 10, then a second, darker set: distinguishable on white, cell colours stable across charts. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f4e79', '#a14d00', '#8c1c1c', '#2f6f6a', '#2e6b2a', '#8a7400', '#6a3d62', '#b0506d', '#5a3f2e', '#6d6661']
export const colorOf = (i: number): string => PALETTE[i % PALETTE.length]!
export const BASELINE_DASH = [6, 4]

/** Lines keyed by x, aligned on the union of their x values (missing points are null). */
export function align(lines: Array<{ line: Omit<ChartLine, 'values'>; points: ReadonlyArray<readonly [number, number | null]> }>): { xs: number[]; lines: ChartLine[] } {
  const xs = [...new Set(lines.flatMap((l) => l.points.map((p) => p[0])))].sort((a, b) => a - b)
  const index = new Map(xs.map((x, i) => [x, i]))
  return {
    xs,
    lines: lines.map(({ line, points }) => {
      const values: Array<number | null> = xs.map(() => null)
      for (const [x, y] of points) values[index.get(x)!] = y
      return { ...line, values }
    }),
  }
}
