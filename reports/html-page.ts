/**
 * The page around the report: one offline HTML file with uPlot, its CSS, the chart data and the
 * drawing script inlined. A Content-Security-Policy allows only those two inline scripts (by hash)
 * and no network at all, so even a string that escaped escaping could neither run nor fetch.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { escapeHtml, jsonForScript } from './escape.ts'

const require = createRequire(import.meta.url)
let assets: { uplotJs: string; uplotCss: string; client: string } | undefined

function loadAssets(): NonNullable<typeof assets> {
  if (!assets) {
    const uplot = (file: string): string => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8')
    assets = {
      uplotJs: uplot('uPlot.iife.min.js'),
      uplotCss: uplot('uPlot.min.css'),
      client: readFileSync(new URL('./report-client.js', import.meta.url), 'utf8'),
    }
  }
  return assets
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`

/** A script's text cannot contain `</script`; ours and uPlot's do not, but never let one break the page. */
const scriptSafe = (js: string): string => js.replace(/<\/(script)/gi, '<\\/$1')

const CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #e3e6ec; --bg: #ffffff; --soft: #f6f7f9; --ok: #1f7a3a; --okbg: #e8f5ec; --bad: #b3261e; --badbg: #fdecea; --warn: #8a5a00; --warnbg: #fff4de; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 0 0 2px; }
p { margin: 6px 0; }
.meta, .explain, .caption { color: var(--muted); }
.explain { font-size: 13px; margin: 0 0 6px; }
.verdict { margin: 16px 0 8px; padding: 12px 16px; border-radius: 6px; font-size: 16px; font-weight: 600; border: 1px solid; }
.verdict.pass { color: var(--ok); background: var(--okbg); border-color: #b9dfc4; }
.verdict.fail { color: var(--bad); background: var(--badbg); border-color: #f3c0bb; }
.verdict.warn { color: var(--warn); background: var(--warnbg); border-color: #f0d9a8; }
.verdict .sub { display: block; font-weight: 400; font-size: 13px; color: var(--fg); margin-top: 2px; }
ul.findings { margin: 6px 0; padding-left: 20px; }
ul.findings li { margin: 4px 0; }
.note { font-size: 13px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 7px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: normal; vertical-align: bottom; }
th.l, td.l { text-align: left; }
td.wrap { white-space: normal; text-align: left; min-width: 220px; }
tbody tr:hover { background: #fafbfc; }
.scroll { overflow-x: auto; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.status-ok { color: var(--ok); } .status-deadlock { color: var(--warn); font-weight: 600; } .status-failed { color: var(--bad); font-weight: 600; }
.pass { color: var(--ok); } .fail { color: var(--bad); font-weight: 600; }
.labels { display: block; color: var(--muted); font-size: 11px; padding-left: 16px; white-space: normal; max-width: 240px; }
.better { color: var(--ok); } .worse { color: var(--bad); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 20px 28px; }
figure { margin: 0; min-width: 0; }
figure.wide { grid-column: 1 / -1; }
.chart { width: 100%; }
.readout { font-size: 12px; color: var(--muted); min-height: 18px; text-align: right; font-variant-numeric: tabular-nums; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 4px; margin-top: 4px; }
.legend .entry { font: inherit; font-size: 12px; background: none; border: 0; padding: 1px 6px; border-radius: 3px; cursor: pointer; color: var(--fg); display: inline-flex; align-items: center; }
.legend .entry:hover { background: var(--soft); }
.legend .entry.off { opacity: 0.35; }
.legend .mark { display: inline-block; width: 18px; border-top: 3px solid; margin-right: 5px; }
.uplot { font-family: inherit; }
.uplot .u-legend { font-size: 12px; text-align: left; }
dl.env { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; font-size: 13px; }
dl.env dt { color: var(--muted); } dl.env dd { margin: 0; word-break: break-word; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 0 28px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); }
`

export interface PageParts {
  title: string
  body: string
  /** Serialised into a JSON data element for report-client.js. */
  data: unknown
}

export function renderPage(parts: PageParts): string {
  const a = loadAssets()
  const uplotJs = scriptSafe(a.uplotJs)
  const client = scriptSafe(a.client)
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(uplotJs)} ${sha256(client)}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(parts.title)}</title>
<style>${a.uplotCss}</style>
<style>${CSS}</style>
</head>
<body>
<main>
${parts.body}
</main>
<script type="application/json" id="fleetbench-data">${jsonForScript(parts.data)}</script>
<script>${uplotJs}</script>
<script>${client}</script>
</body>
</html>
`
}
