import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { WardenError } from '../errors/warden-error.js'
import {
  buildRecord,
  CDATA_KEY,
  type OrderedNode,
  readElementName,
  TEXT_KEY,
  type XmlRecord,
} from './xml-record.js'

export type { XmlRecord, XmlValue } from './xml-record.js'

// The parser refuses these names outright; '#' cannot start an XML name, so the renamed key can
// never collide with a real element.
const PROTOTYPE_NAMES = new Set(['__proto__', 'constructor', 'prototype'])
const renamePrototypeName = (name: string) => (PROTOTYPE_NAMES.has(name) ? `#${name}` : name)

const parser = new XMLParser({
  preserveOrder: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  trimValues: false,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  cdataPropName: CDATA_KEY,
  textNodeName: TEXT_KEY,
  ignoreDeclaration: true,
  ignorePiTags: true,
  transformTagName: renamePrototypeName,
  transformAttributeName: renamePrototypeName,
})

/**
 * Refuses any DTD or entity declaration (WARDEN_PARSE_DTD_FORBIDDEN) and malformed XML
 * (WARDEN_PARSE_BAD_XML), then returns the children of the root element as a record of strings;
 * nested elements become nested records and repeated elements lists. Values are never converted:
 * MsgId 4561255354251345929 and '0012' survive exactly, CDATA and text merge verbatim.
 */
export function parseXmlRecord(xml: string): XmlRecord {
  if (typeof xml !== 'string') badXml({ reason: 'not a string' })
  refuseDeclarations(xml)
  assertWellFormed(xml)

  let nodes: OrderedNode[]
  try {
    nodes = parser.parse(xml) as OrderedNode[]
  } catch (cause) {
    badXml({ reason: 'parser' }, cause)
  }

  const roots = nodes.filter((node) => readElementName(node) !== null)
  if (roots.length !== 1 || roots[0] === undefined) badXml({ reason: 'not one root element' })
  return buildRecord(roots[0])
}

/**
 * Any '<!' outside a comment or CDATA section starts a markup declaration (DOCTYPE, ENTITY, …).
 * Scanning past CDATA keeps a chat message whose text is '<!DOCTYPE html>' acceptable.
 */
function refuseDeclarations(xml: string): void {
  let at = xml.indexOf('<!')
  while (at !== -1) {
    if (xml.startsWith('<!--', at)) at = findEnd(xml, '-->', at + 4)
    else if (xml.startsWith('<![CDATA[', at)) at = findEnd(xml, ']]>', at + 9)
    else throw new WardenError('WARDEN_PARSE_DTD_FORBIDDEN', { details: { offset: at } })
    at = xml.indexOf('<!', at)
  }
}

function findEnd(xml: string, terminator: string, from: number): number {
  const end = xml.indexOf(terminator, from)
  if (end === -1) badXml({ reason: `unterminated section at ${from}` })
  return end + terminator.length
}

/** fast-xml-parser parses malformed input leniently, so the validator has to run first. */
function assertWellFormed(xml: string): void {
  let verdict: ReturnType<typeof XMLValidator.validate>
  try {
    verdict = XMLValidator.validate(xml)
  } catch (cause) {
    badXml({ reason: 'validator' }, cause)
  }
  if (verdict !== true) {
    const { code, line, col } = verdict.err
    badXml({ reason: code, line, col })
  }
}

function badXml(details: Record<string, unknown>, cause?: unknown): never {
  throw new WardenError('WARDEN_PARSE_BAD_XML', { details, cause })
}
