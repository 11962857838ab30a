/**
 * Debian's Chromium driven by playwright-core (never `playwright install`: no browser download).
 * Everything that could reach the network at start-up is switched off, and each launch gets a
 * fresh profile directory that `close()` removes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface LaunchedChromium {
  /** A persistent context on the fresh profile: open pages with `context.newPage()`. */
  context: BrowserContext
  close(): Promise<void>
}

export async function launchChromium(): Promise<LaunchedChromium> {
  if (!CHROMIUM) throw new Error('Chromium is not installed (apt-get install -y chromium)')
  const profile = mkdtempSync(join(tmpdir(), 'fleetbench-chromium-'))
  // Playwright passes the profile as --user-data-dir itself.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 })
  return {
    context,
    close: async () => {
      await context.close().catch(() => {})
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
