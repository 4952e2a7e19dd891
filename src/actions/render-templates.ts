import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Handlebars from 'handlebars'
import { WardenError } from '../errors/warden-error.js'
import type { Severity, Verdict } from '../policy/types.js'
import { maskPii } from './mask-pii.js'

export interface ViolationView {
  violationId: string
  ruleId: string
  ruleVersion: number
  description: string
  severity: Severity
  verdict: Verdict
  matchedText: string
  start: number
  end: number
  /** Why it counts, when a detector or a doubt says so (e.g. a failed ID checksum). */
  reason?: string | null
  /** Normalisation steps that changed the matched text (e.g. zero-width removed, t2s). */
  steps?: string[]
  message: {
    msgId: string
    fromUser: string | null
    channel: string
    msgType: string | null
    content: string | null
    createTime: Date | null
    receivedAt: Date
  }
}

export interface RenderedEmail {
  subject: string
  text: string
  html: string
}

export interface TemplateRenderer {
  renderNudge(v: ViolationView): string
  renderEscalation(v: ViolationView): RenderedEmail
}

type Render = (context: TemplateContext) => string
type TemplateContext = ReturnType<typeof createContext>

const FILES = {
  nudge: 'nudge.txt.hbs',
  subject: 'escalation-subject.txt.hbs',
  text: 'escalation.txt.hbs',
  html: 'escalation.html.hbs',
} as const
// WeCom truncates text messages beyond 2048 bytes.
const MAX_NUDGE_BYTES = 2048
const MAX_NUDGE_MATCH = 60
const MAX_NUDGE_DESCRIPTION = 300
const MAX_CONTEXT_CHARS = 1000

/**
 * Compiles the four templates once, in strict mode, and renders a sample so that a broken
 * template stops the service at start-up rather than failing on the first violation.
 * Text templates use {{{…}}} since their output is not HTML; the HTML template may not.
 */
export async function loadTemplates(dir: string): Promise<TemplateRenderer> {
  const handlebars = Handlebars.create()
  const compile = async (file: string): Promise<Render> => {
    const source = await readTemplate(dir, file)
    if (file === FILES.html && /\{\{\{|\{\{~?\s*&/.test(source)) {
      throw createTemplateError(file, 'HTML template must not disable escaping')
    }
    return handlebars.compile<TemplateContext>(source, { strict: true, noEscape: false })
  }
  const [nudge, subject, text, html] = await Promise.all(Object.values(FILES).map(compile))
  const renderer = createRenderer({ nudge, subject, text, html } as Record<
    keyof typeof FILES,
    Render
  >)

  try {
    renderer.renderNudge(SAMPLE_VIOLATION)
    renderer.renderEscalation(SAMPLE_VIOLATION)
  } catch (cause) {
    throw createTemplateError(dir, (cause as Error).message, cause)
  }
  return renderer
}

function createRenderer(templates: Record<keyof typeof FILES, Render>): TemplateRenderer {
  return {
    renderNudge: (violation) => truncateUtf8(templates.nudge(createContext(violation, true))),
    renderEscalation: (violation) => {
      const context = createContext(violation, false)
      return {
        subject: templates.subject(context).replace(/\s+/g, ' ').trim(),
        text: templates.text(context),
        html: templates.html(context),
      }
    },
  }
}

/** Everything a template may use, already masked, formatted and never undefined. */
function createContext(violation: ViolationView, isNudge: boolean) {
  const { message } = violation
  const content = splitContent(violation)
  const matchedText = content.hit || maskPii(violation.matchedText)
  return {
    violationId: violation.violationId,
    ruleId: violation.ruleId,
    ruleVersion: violation.ruleVersion,
    description: isNudge
      ? shorten(violation.description, MAX_NUDGE_DESCRIPTION)
      : violation.description,
    severity: violation.severity,
    severityLabel: violation.severity.toUpperCase(),
    verdict: violation.verdict,
    reason: violation.reason ?? '',
    steps: (violation.steps ?? []).join(', '),
    matchedText: isNudge ? shorten(matchedText, MAX_NUDGE_MATCH) : matchedText,
    employee: message.fromUser ?? 'unknown sender',
    channel: message.channel,
    msgType: message.msgType ?? 'unknown',
    msgId: message.msgId,
    sentAt: formatTime(message.createTime),
    receivedAt: formatTime(message.receivedAt),
    content,
  }
}

/** The masked message cut around the hit; the hit is only marked when the offsets agree. */
function splitContent(violation: ViolationView) {
  const original = violation.message.content
  if (original === null || original === '')
    return { hasText: false, before: '', hit: '', after: '' }

  const { start, end } = violation
  const masked = maskPii(original)
  if (original.slice(start, end) !== violation.matchedText || start >= end) {
    return { hasText: true, before: shorten(masked, MAX_CONTEXT_CHARS * 2), hit: '', after: '' }
  }
  const before = Array.from(masked.slice(0, start))
  const after = Array.from(masked.slice(end))
  return {
    hasText: true,
    before:
      (before.length > MAX_CONTEXT_CHARS ? '…' : '') + before.slice(-MAX_CONTEXT_CHARS).join(''),
    hit: masked.slice(start, end),
    after: shorten(after.join(''), MAX_CONTEXT_CHARS),
  }
}

function formatTime(date: Date | null): string {
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : 'unknown'
}

function shorten(text: string, maxChars: number): string {
  const chars = Array.from(text)
  return chars.length > maxChars ? `${chars.slice(0, maxChars).join('')}…` : text
}

function truncateUtf8(text: string): string {
  if (Buffer.byteLength(text) <= MAX_NUDGE_BYTES) return text
  let bytes = 0
  let out = ''
  for (const char of text) {
    bytes += Buffer.byteLength(char)
    if (bytes > MAX_NUDGE_BYTES) return out
    out += char
  }
  return out
}

async function readTemplate(dir: string, file: string): Promise<string> {
  try {
    return await readFile(join(dir, file), 'utf8')
  } catch (cause) {
    throw createTemplateError(file, 'template file could not be read', cause)
  }
}

function createTemplateError(where: string, reason: string, cause?: unknown): WardenError {
  const message = `template ${where} is invalid: ${reason}`
  return new WardenError('WARDEN_TEMPLATE_INVALID', { message, details: { where }, cause })
}

const SAMPLE_VIOLATION: ViolationView = {
  violationId: 'sample-violation',
  ruleId: 'sample-rule',
  ruleVersion: 1,
  description: 'Sample rule',
  severity: 'high',
  verdict: 'FLAG',
  matchedText: 'sample',
  start: 0,
  end: 6,
  message: {
    msgId: 'sample-message',
    fromUser: null,
    channel: 'sample',
    msgType: null,
    content: 'sample text',
    createTime: null,
    receivedAt: new Date(0),
  },
}
