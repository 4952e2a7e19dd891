import type { DetectorHit } from './detector-hit.js'

const LOCAL_CHAR = /[a-z0-9._%+-]/i
const DOMAIN_CHAR = /[a-z0-9.-]/i
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i
const TOP_LEVEL = /^[a-z]{2,24}$/i
/**
 * File name endings that are no top-level domain: `logo@2x.png` names an image drawn at twice
 * the size, not a mailbox. Endings that are also real domains (.zip, .mov, .app) stay out.
 */
const FILE_EXTENSIONS = new Set(
  ['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg', 'bmp', 'ico', 'tif', 'tiff', 'heic']
    .concat(['pdf', 'txt', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'csv', 'json'])
    .concat(['html', 'htm', 'css', 'js', 'wav', 'avi', 'mkv']),
)
const MAX_LOCAL = 64
const MAX_DOMAIN = 253

/**
 * Email addresses, local@domain.tld, also written in full-width forms (`ｉｎｆｏ＠ｅｘ．ｃｏｍ`)
 * or with the ideographic full stop `。` as a dot. Deliberately plainer than RFC 5322: no
 * quoted local parts or IP literals, which nobody pastes into a chat.
 */
export function detectEmail(original: string): DetectorHit[] {
  // No at sign, no address: most messages stop here, before the text is copied.
  if (original.indexOf('@') < 0 && original.indexOf('\uff20') < 0) return []
  const folded = foldToAscii(original)
  const hits: DetectorHit[] = []
  let searchFrom = 0

  for (let at = folded.indexOf('@'); at >= 0; at = folded.indexOf('@', at + 1)) {
    const hit = at >= searchFrom ? readAddress(original, folded, at, searchFrom) : null
    if (!hit) continue
    hits.push(hit)
    searchFrom = hit.end
  }
  return hits
}

function readAddress(original: string, folded: string, at: number, from: number) {
  let start = at
  while (start > from && at - start < MAX_LOCAL && LOCAL_CHAR.test(folded[start - 1] as string)) {
    start--
  }
  while (folded[start] === '.') start++
  const local = folded.slice(start, at)
  if (local === '' || local.endsWith('.') || local.includes('..')) return null

  let end = at + 1
  while (end < folded.length && DOMAIN_CHAR.test(folded[end] as string)) {
    end++
    if (end - at > MAX_DOMAIN + 1) return null
  }
  while (end > at + 1 && /[.-]/.test(folded[end - 1] as string)) end--
  // `a@ex.com。Thanks` ends its sentence there; `a@qq。com` only makes sense read through.
  const stop = original.slice(at + 1, end).search(/[\u3002\uff61]/)
  if (stop >= 0 && isDomain(folded.slice(at + 1, at + 1 + stop))) end = at + 1 + stop
  if (!isDomain(folded.slice(at + 1, end))) return null

  const hit: DetectorHit = {
    start,
    end,
    text: original.slice(start, end),
    verdict: 'FLAG',
    reason: 'email address',
    value: folded.slice(start, end).toLowerCase(),
  }
  return hit
}

function isDomain(domain: string): boolean {
  const labels = domain.split('.')
  const topLevel = (labels.at(-1) as string).toLowerCase()
  return (
    labels.length >= 2 &&
    labels.every((label) => LABEL.test(label)) &&
    TOP_LEVEL.test(topLevel) &&
    !FILE_EXTENSIONS.has(topLevel)
  )
}

/** Full-width ASCII and the ideographic full stop, one UTF-16 unit for one, so offsets hold. */
function foldToAscii(text: string): string {
  return text.replace(/[\uff01-\uff5e\u3002\uff61]/g, (char) => {
    const code = char.charCodeAt(0)
    return code >= 0xff01 && code <= 0xff5e ? String.fromCharCode(code - 0xfee0) : '.'
  })
}
