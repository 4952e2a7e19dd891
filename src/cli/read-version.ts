import { readFile } from 'node:fs/promises'

const PACKAGE_NAME = 'wecom-warden'
// src/cli/ when run through the TypeScript loader, dist/src/cli/ once built.
const CANDIDATES = ['../../package.json', '../../../package.json']

/** The version in wecom-warden's package.json, wherever this module was loaded from. */
export async function readPackageVersion(): Promise<string> {
  for (const candidate of CANDIDATES) {
    const manifest = await readManifest(new URL(candidate, import.meta.url))
    if (manifest?.name === PACKAGE_NAME && typeof manifest.version === 'string') {
      return manifest.version
    }
  }
  return 'unknown'
}

async function readManifest(url: URL): Promise<{ name?: unknown; version?: unknown } | null> {
  try {
    return JSON.parse(await readFile(url, 'utf8'))
  } catch {
    return null
  }
}
