import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { RE2 } from 're2-wasm'

type Re2Module = typeof import('re2-wasm')

interface Re2Instance {
  RE2: Re2Module['RE2']
  compiled: Map<string, RE2>
}

/**
 * The RE2 regexes of every policy engine in the process, one per distinct pattern and flags.
 *
 * re2-wasm runs in a WebAssembly heap fixed at 16 MiB, and its regexes keep their program and
 * DFA cache there until deleted. When the heap runs out (a huge pattern, or several whose
 * caches grew on long texts) RE2 aborts with a RuntimeError and leaves the memory it had taken
 * behind, so the instance is never used again: a fresh one is loaded, its old heap goes to the
 * garbage collector, and the regexes are compiled again as they are needed.
 */
const require = createRequire(import.meta.url)
const mainFile = require.resolve('re2-wasm')
const wasmGlueFile = join(dirname(mainFile), '../wasm/re2.js')

let current = loadInstance()

/**
 * Runs `use` with the compiled regex (flags `g` and `u` added); after an abort, tries once more
 * on a fresh instance. Throws what RE2 throws: SyntaxError for a pattern it refuses.
 */
export function useRe2<T>(pattern: string, flags: string, use: (regex: RE2) => T): T {
  try {
    return use(compileShared(pattern, flags))
  } catch (err) {
    if (!isHeapAbort(err)) throw err
    current = loadInstance()
  }
  try {
    return use(compileShared(pattern, flags))
  } catch (err) {
    if (isHeapAbort(err)) current = loadInstance()
    throw err
  }
}

/**
 * Whether RE2 aborted, which in this build means its heap ran out. The error is a
 * WebAssembly.RuntimeError, a global our Node typings do not declare, hence the name check.
 */
export function isHeapAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'RuntimeError'
}

function compileShared(pattern: string, flags: string): RE2 {
  const key = `${flags}/${pattern}`
  const existing = current.compiled.get(key)
  if (existing) return existing

  const regex = new current.RE2(rewriteProperties(pattern), `gu${flags}`)
  current.compiled.set(key, regex)
  return regex
}

// Dropping the module from the require cache is what gives a new WebAssembly instance: the
// package builds its single instance when its files are first evaluated.
function loadInstance(): Re2Instance {
  delete require.cache[mainFile]
  delete require.cache[wasmGlueFile]
  const { RE2 } = require(mainFile) as Re2Module
  return { RE2, compiled: new Map() }
}

const PROPERTY_PREFIXES = new Set(['sc', 'Script', 'gc', 'General_Category'])

/**
 * JavaScript writes `\p{sc=Han}` where RE2 writes `\p{Han}` (and has no `\p{Han}` in JS), so
 * the prefix is dropped; other escapes pass unchanged and RE2 judges them.
 */
function rewriteProperties(pattern: string): string {
  let result = ''
  let i = 0
  while (i < pattern.length) {
    const isProperty = pattern[i] === '\\' && /[pP]/.test(pattern[i + 1] ?? '')
    const close = isProperty && pattern[i + 2] === '{' ? pattern.indexOf('}', i) : -1
    if (close < 0) {
      const step = pattern[i] === '\\' ? 2 : 1
      result += pattern.slice(i, i + step)
      i += step
      continue
    }
    const body = pattern.slice(i + 3, close)
    const [name = '', value] = body.split('=')
    const kept = value !== undefined && PROPERTY_PREFIXES.has(name) ? value : body
    result += `${pattern.slice(i, i + 3)}${kept}}`
    i = close + 1
  }
  return result
}
