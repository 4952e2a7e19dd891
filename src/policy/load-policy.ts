import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import {
  type Document,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml'
import { WardenError } from '../errors/warden-error.js'
import { createPolicyEngine } from './evaluate.js'
import { type PolicyIssue, type PolicyPath, validatePolicy } from './policy-schema.js'
import type { PolicyEngine } from './types.js'

const MAX_LISTED_ISSUES = 20

interface LocatedIssue {
  path: string
  line: number
  message: string
}

/** Parses and validates a policy, then builds the engine. Throws WARDEN_POLICY_INVALID. */
export function compilePolicy(yamlText: string, sourceName = '<inline policy>'): PolicyEngine {
  const lines = new LineCounter()
  const document = parseDocument(yamlText, { lineCounter: lines, prettyErrors: false })
  const syntaxIssues = document.errors.map((error) => ({
    path: locateKeyPath(document, error) ?? '(yaml)',
    line: lines.linePos(moveToLastContent(yamlText, error.pos[0])).line,
    message: error.message,
  }))
  if (syntaxIssues.length > 0) throw createInvalidPolicyError(sourceName, syntaxIssues)

  keepNumericKeywordsAsWritten(document)
  const value = readPlainValue(document, lines, sourceName)
  const { policy, issues } = validatePolicy(value)
  if (issues.length > 0) {
    const located = issues
      .map((issue) => locateIssue(document, lines, issue))
      .sort((a, b) => a.line - b.line)
    throw createInvalidPolicyError(sourceName, located)
  }

  return createPolicyEngine(policy, hashPolicy(yamlText))
}

export async function loadPolicyFile(path: string): Promise<PolicyEngine> {
  let yamlText: string
  try {
    yamlText = await readFile(path, 'utf8')
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'read error'
    const message = `policy file ${path} could not be read (${reason})`
    throw new WardenError('WARDEN_POLICY_INVALID', { message, details: { file: path }, cause })
  }
  return compilePolicy(yamlText, path)
}

function hashPolicy(yamlText: string): string {
  return createHash('sha256').update(yamlText).digest('hex').slice(0, 12)
}

// `keywords: [69, 007]` means the text as written, not the numbers 69 and 7.
function keepNumericKeywordsAsWritten(document: Document) {
  visit(document, {
    Scalar(_key, node, ancestors) {
      const owner = ancestors.at(-2)
      const isKeyword = isPair(owner) && isScalar(owner.key) && owner.key.value === 'keywords'
      if (isKeyword && typeof node.value === 'number' && node.source) node.value = node.source
    },
  })
}

/**
 * Where an error found only because the text ended (an unclosed bracket or quote) belongs: on
 * the last line with content, not on the empty line after the final line break.
 */
function moveToLastContent(yamlText: string, offset: number): number {
  if (yamlText.slice(offset).trim() !== '') return offset
  const lastContent = yamlText.trimEnd().length - 1
  return Math.max(0, Math.min(offset, lastContent))
}

/** The path of the key a duplicate-key error points at, as validation errors name paths. */
function locateKeyPath(document: Document, error: YAMLError): string | null {
  if (error.code !== 'DUPLICATE_KEY') return null
  const path = findKeyPath(document.contents, error.pos[0], [])
  return path === null ? null : formatPath(path)
}

function findKeyPath(node: unknown, offset: number, path: PolicyPath): PolicyPath | null {
  if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const found = findKeyPath(item, offset, [...path, index])
      if (found) return found
    }
  }
  if (!isMap(node)) return null
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?'
    if (isNode(pair.key) && pair.key.range?.[0] === offset) return [...path, key]
    const found = findKeyPath(pair.value, offset, [...path, key])
    if (found) return found
  }
  return null
}

function readPlainValue(document: Document, lines: LineCounter, sourceName: string): unknown {
  try {
    return document.toJS()
  } catch (cause) {
    // Unresolved or excessive aliases: yaml reports them only when values are built.
    const issue = {
      path: '(yaml)',
      line: findFirstAliasLine(document, lines),
      message: String(cause),
    }
    throw createInvalidPolicyError(sourceName, [issue])
  }
}

function findFirstAliasLine(document: Document, lines: LineCounter): number {
  let line = 1
  visit(document, {
    Alias(_key, node) {
      line = lines.linePos(node.range?.[0] ?? 0).line
      return visit.BREAK
    },
  })
  return line
}

function locateIssue(document: Document, lines: LineCounter, issue: PolicyIssue): LocatedIssue {
  return {
    path: formatPath(issue.path),
    line: findLine(document, lines, issue.path),
    message: issue.message,
  }
}

/** The line of the deepest node that exists along the path (a missing field: its parent). */
function findLine(document: Document, lines: LineCounter, path: PolicyPath): number {
  for (let depth = path.length; depth > 0; depth--) {
    const node = document.getIn(path.slice(0, depth), true) as { range?: number[] } | undefined
    const offset = node?.range?.[0]
    if (offset !== undefined) return lines.linePos(offset).line
  }
  return lines.linePos(document.contents?.range?.[0] ?? 0).line
}

function formatPath(path: PolicyPath): string {
  const text = path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('')
  return text.replace(/^\./, '') || '(root)'
}

function createInvalidPolicyError(sourceName: string, issues: LocatedIssue[]): WardenError {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => {
    return `  ${issue.path} (line ${issue.line}): ${issue.message}`
  })
  const more =
    issues.length > MAX_LISTED_ISSUES ? [`  … and ${issues.length - MAX_LISTED_ISSUES} more`] : []
  const message = [`policy file ${sourceName} is invalid:`, ...listed, ...more].join('\n')
  return new WardenError('WARDEN_POLICY_INVALID', {
    message,
    details: { file: sourceName, issues },
  })
}
