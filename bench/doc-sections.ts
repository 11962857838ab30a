/**
 * docs/benchmarks.md is written by three runs: the main bench rewrites everything but the sections
 * that `--soak`, `--scale` and `--fleet-workers` write between their markers, and each of those rewrites only its own.
 */
import { readFileSync } from 'node:fs'
import { writeFileAtomic } from '../reports/write.ts'

export const DOCS_PATH = new URL('../docs/benchmarks.md', import.meta.url)

export type Markers = readonly [start: string, end: string]
export const SOAK_MARKERS: Markers = ['<!-- soak:start -->', '<!-- soak:end -->']
export const SCALE_MARKERS: Markers = ['<!-- scale:start -->', '<!-- scale:end -->']
export const FLEET_WORKERS_MARKERS: Markers = ['<!-- fleet-workers:start -->', '<!-- fleet-workers:end -->']
/** The sections the main bench keeps, in the order they follow its report. */
const KEPT: readonly Markers[] = [SOAK_MARKERS, SCALE_MARKERS, FLEET_WORKERS_MARKERS]

function docsText(): string | undefined {
  try {
    return readFileSync(DOCS_PATH, 'utf8')
  } catch {
    return undefined
  }
}

/** A section of docs/benchmarks.md as it stands, markers included. */
export function existingSection([start, end]: Markers, text = docsText()): string | undefined {
  if (text === undefined) return undefined
  const a = text.indexOf(start)
  const b = text.indexOf(end)
  return a >= 0 && b > a ? text.slice(a, b + end.length) : undefined
}

const appended = (text: string, section: string): string => `${text.trimEnd()}\n\n${section}\n`

/** The main report followed by the kept sections as they stand. */
export function withKeptSections(markdown: string): string {
  const text = docsText()
  return KEPT.reduce((out, markers) => {
    const section = existingSection(markers, text)
    return section === undefined ? out : appended(out, section)
  }, markdown)
}

/** Replaces (or appends) one section of docs/benchmarks.md, leaving the rest as it is. */
export async function writeSection(markers: Markers, body: string): Promise<void> {
  const text = docsText() ?? '# Benchmarks\n'
  const section = `${markers[0]}\n${body.trimEnd()}\n${markers[1]}`
  const old = existingSection(markers, text)
  await writeFileAtomic(DOCS_PATH.pathname, old === undefined ? appended(text, section) : text.replace(old, () => section))
}
