/**
 * report.html in a real browser (Debian's Chromium through playwright-core): no console errors, no
 * network request but the file itself, every chart drew, the tables show the cells, and strings
 * from a result carrying markup and script render as text and run nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeReport } from '../reports/report-file.ts'
import type { RunResult } from '../core/result.ts'
import type { ChartSpec } from '../reports/chart-spec.ts'
import { CHROMIUM, launchChromium, type LaunchedChromium } from './support/chromium.ts'
import { runCli } from './support/cli.ts'
import { channelCapacityResult, hostileResult, PAYLOADS, parallelBleResult } from './support/results.ts'

// Browser globals used inside page.evaluate (the project compiles without the DOM lib).
interface Canvas {
  width: number
  height: number
  toDataURL(): string
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null
}
declare const window: { fleetbenchCharts?: number; __pwned?: unknown }
declare const document: {
  getElementById(id: string): { textContent: string | null } | null
  querySelector(selector: string): Canvas | null
  createElement(tag: 'canvas'): Canvas
}

const title = CHROMIUM
  ? `report.html in Chromium (${CHROMIUM})`
  : 'report.html in Chromium — SKIPPED: no /usr/bin/chromium here (apt-get install -y chromium; .ci/run installs it)'

interface Opened {
  page: Page
  requests: string[]
  problems: string[]
  charts: ChartSpec[]
}

interface CanvasCheck {
  id: string
  width: number
  blank: boolean
  /** Pixels close to one of the chart's line colours: the lines themselves were drawn. */
  linePixels: number
}

describe.skipIf(!CHROMIUM)(title, () => {
  let chromium: LaunchedChromium
  const dir = mkdtempSync(join(tmpdir(), 'fleetbench-browser-'))

  beforeAll(async () => {
    chromium = await launchChromium()
  }, 60_000)
  afterAll(async () => {
    await chromium?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function open(file: string): Promise<Opened> {
    const page = await chromium.context.newPage()
    const requests: string[] = []
    const problems: string[] = []
    page.on('request', (r) => void requests.push(r.url()))
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`)
    })
    page.on('pageerror', (e) => void problems.push(`page error: ${e.message}`))
    await page.setViewportSize({ width: 1200, height: 900 })
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
    await page.waitForFunction(() => typeof window.fleetbenchCharts === 'number', undefined, { timeout: 20_000 })
    const charts = await page.evaluate(() => (JSON.parse(document.getElementById('fleetbench-data')!.textContent!) as { charts: ChartSpec[] }).charts)
    return { page, requests, problems, charts }
  }

  /** Each chart's canvas: compared with a blank canvas of the same size, and searched for its line colours. */
  function checkCanvases(page: Page, charts: ChartSpec[]): Promise<CanvasCheck[]> {
    return page.evaluate((specs) => {
      const rgb = (hex: string): number[] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
      return specs.map((spec) => {
        const canvas = document.querySelector(`#chart-${spec.id} canvas`)
        if (!canvas) return { id: spec.id, width: 0, blank: true, linePixels: 0 }
        const blank = document.createElement('canvas')
        blank.width = canvas.width
        blank.height = canvas.height
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
        const colours = spec.lines.map((l) => rgb(l.color))
        let linePixels = 0
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3]! < 200) continue
          if (colours.some((c) => Math.abs(c[0]! - pixels[i]!) + Math.abs(c[1]! - pixels[i + 1]!) + Math.abs(c[2]! - pixels[i + 2]!) < 24)) linePixels++
        }
        return { id: spec.id, width: canvas.width, blank: canvas.toDataURL() === blank.toDataURL(), linePixels }
      })
    }, charts)
  }

  async function expectClean(o: Opened, file: string, chartIds: string[]): Promise<void> {
    expect(o.problems).toEqual([])
    expect(o.requests).toEqual([pathToFileURL(file).href])
    expect(o.charts.map((c) => c.id)).toEqual(chartIds)
    expect(await o.page.evaluate(() => window.fleetbenchCharts)).toBe(chartIds.length)
    for (const c of await checkCanvases(o.page, o.charts)) {
      expect(c.width, c.id).toBeGreaterThan(300)
      expect(c.blank, c.id).toBe(false)
      expect(c.linePixels, c.id).toBeGreaterThan(10)
    }
  }

  const cellRows = (page: Page, table: string): Promise<string[]> =>
    page.$$eval(`#${table} tbody tr`, (rows) => rows.map((r) => r.getAttribute('data-cell') ?? ''))

  it('a real run: report.html written by the scenario draws every chart and lists every cell', async () => {
    const out = join(dir, 'run')
    const r = await runCli('cli/scenario.ts', ['parallel-ble', '--devices', '12', '--gateways', '2', '--users', '2', '--duration', '1500ms',
      '--strategies', 'serial,multiplexed', '--out', out, '--quiet'], 90_000)
    expect([0, 99], r.stderr).toContain(r.code)
    const file = join(out, 'report.html')
    const o = await open(file)
    try {
      await expectClean(o, file, ['spectrum', 'throughput', 'p99'])
      expect(await cellRows(o.page, 'cells-table')).toEqual(['serial', 'multiplexed'])
      expect(await cellRows(o.page, 'errors-table')).toEqual(['serial', 'multiplexed'])
      expect(await o.page.textContent('#verdict')).toMatch(/^(PASS|FAIL)/)
      expect(await o.page.$$eval('#chart-spectrum .legend .entry', (e) => e.map((x) => x.textContent))).toEqual(['serial', 'multiplexed'])
    } finally {
      await o.page.close()
    }
  }, 120_000)

  it('channel-capacity with a baseline: blocking and loss charts against capacity, queue depth, dashed baseline', async () => {
    const file = join(dir, 'channel.html')
    const result = channelCapacityResult()
    await writeReport(file, result, { baseline: channelCapacityResult(9), baselineName: 'base.json' })
    const o = await open(file)
    try {
      await expectClean(o, file, ['spectrum', 'throughput', 'p99', 'queue-depth', 'blocking-p50', 'blocking-p99', 'blocking-max', 'channel-losses'])
      expect(await cellRows(o.page, 'cells-table')).toEqual(result.cells.map((c) => c.id))
      expect(o.charts[0]!.lines.filter((l) => l.baselineOf !== undefined)).toHaveLength(result.cells.length)
      // A legend click hides a line and its baseline.
      await o.page.click('#chart-spectrum .legend .entry >> nth=0')
      expect(await o.page.$eval('#chart-spectrum .legend .entry', (e) => e.classList.contains('off'))).toBe(true)
    } finally {
      await o.page.close()
    }
  })

  it('strings holding markup and script render as text and run nothing', async () => {
    const file = join(dir, 'hostile.html')
    const result: RunResult = hostileResult()
    await writeReport(file, result)
    const o = await open(file)
    try {
      await expectClean(o, file, ['spectrum', 'throughput', 'p99'])
      expect(await o.page.evaluate(() => window.__pwned)).toBeUndefined()
      expect(await o.page.$$('img')).toHaveLength(0)
      expect(await o.page.$$('script')).toHaveLength(3)
      // Cell ids, labels, error kinds, messages, findings, options: all shown as the literal text.
      expect(await cellRows(o.page, 'cells-table')).toEqual(result.cells.map((c) => c.id))
      const text = (await o.page.textContent('body'))!
      for (const p of PAYLOADS) expect(text).toContain(p)
      expect(await o.page.textContent('#findings')).toContain(PAYLOADS[2])
      expect(await o.page.textContent('#errors-table')).toContain(`boom ${PAYLOADS[0]}`)
      expect(await o.page.$$eval('#chart-spectrum .legend .entry', (e) => e.map((x) => x.textContent))).toEqual(result.cells.map((c) => c.id))
      expect(await o.page.title()).toContain(PAYLOADS[0])
    } finally {
      await o.page.close()
    }
  })

  it('parallel-ble fixture with a baseline: dashed lines and comparison columns', async () => {
    const file = join(dir, 'baseline.html')
    await writeReport(file, parallelBleResult(1), { baseline: parallelBleResult(2), baselineName: 'base.json' })
    const o = await open(file)
    try {
      await expectClean(o, file, ['spectrum', 'throughput', 'p99'])
      expect(await o.page.$$eval('#cells-table th', (th) => th.map((x) => x.textContent))).toContain('p99 vs baseline')
    } finally {
      await o.page.close()
    }
  })
})
