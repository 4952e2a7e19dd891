/** A parsed element: text for a leaf, a record for an element with children, a list for repeats. */
export type XmlValue = string | XmlRecord | XmlValue[]
export interface XmlRecord {
  [name: string]: XmlValue
}

/** One entry of fast-xml-parser's preserveOrder output. */
export type OrderedNode = Record<string, unknown>

export const TEXT_KEY = '#text'
export const CDATA_KEY = '#cdata'
const ATTRIBUTES_KEY = ':@'

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
}
const ENTITY_REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/g

/** The tag name of an element node, or null for text, CDATA and other nodes. */
export function readElementName(node: OrderedNode): string | null {
  const name = Object.keys(node).find((key) => key !== ATTRIBUTES_KEY)
  if (name === undefined || name === TEXT_KEY || name === CDATA_KEY) return null
  return Array.isArray(node[name]) ? name : null
}

/** The element's attributes and children as a record; text-only content lands under '#text'. */
export function buildRecord(element: OrderedNode): XmlRecord {
  const value = buildValue(element)
  if (typeof value !== 'string') return value
  return value === '' ? {} : { [TEXT_KEY]: value }
}

function buildValue(element: OrderedNode): string | XmlRecord {
  const name = readElementName(element) ?? ''
  const children = element[name] as OrderedNode[]
  const record = readAttributes(element)
  let text = ''
  let hasElements = false

  for (const child of children) {
    const childName = readElementName(child)
    if (childName !== null) {
      hasElements = true
      addField(record, childName, buildValue(child))
    } else {
      text += readText(child)
    }
  }

  const hasAttributes = Object.keys(record).length > 0
  if (!hasElements && !hasAttributes) return text
  // Whitespace between child elements is layout, not content.
  if (!hasElements || text.trim() !== '') record[TEXT_KEY] = text
  return record
}

function readAttributes(element: OrderedNode): XmlRecord {
  const record: XmlRecord = {}
  const attributes = element[ATTRIBUTES_KEY]
  if (attributes === null || typeof attributes !== 'object') return record

  for (const [name, value] of Object.entries(attributes)) {
    record[name] = decodeEntities(String(value))
  }
  return record
}

function readText(node: OrderedNode): string {
  const text = node[TEXT_KEY]
  if (typeof text === 'string') return decodeEntities(text)

  // CDATA is taken verbatim: '&amp;' inside it is four literal characters.
  const cdata = node[CDATA_KEY]
  if (!Array.isArray(cdata)) return ''
  return cdata.map((part: OrderedNode) => String(part[TEXT_KEY] ?? '')).join('')
}

function addField(record: XmlRecord, name: string, value: XmlValue): void {
  // Own properties only: an element named like an Object.prototype method is still new here.
  const existing = Object.hasOwn(record, name) ? record[name] : undefined
  if (existing === undefined) record[name] = value
  else if (Array.isArray(existing)) existing.push(value)
  else record[name] = [existing, value]
}

/**
 * The parser runs with entity processing off so that no DTD entity can ever expand; the five
 * predefined entities and character references still mean their characters, so decode only those.
 */
function decodeEntities(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(ENTITY_REFERENCE, (reference, name, decimal, hex) => {
    if (name !== undefined) return NAMED_ENTITIES[name] ?? reference
    const codePoint = decimal !== undefined ? Number(decimal) : Number.parseInt(hex, 16)
    const isCharacter = codePoint > 0 && codePoint <= 0x10ffff
    const isSurrogate = codePoint >= 0xd800 && codePoint <= 0xdfff
    return isCharacter && !isSurrogate ? String.fromCodePoint(codePoint) : reference
  })
}
