import t from 'tap'
import { WardenError } from '../src/errors/warden-error.js'
import { readCallbackEnvelope } from '../src/parse/callback-envelope.js'
import { parseInboundMessage } from '../src/parse/inbound-message.js'
import { parseXmlRecord } from '../src/parse/safe-xml.js'
import { vector, vectorConfig, vectorsOfKind } from './helpers/vectors.js'

const v2 = vector('V2', 'message-xml')
const v4 = vector('V4', 'message-xml')

const DTD_FORBIDDEN = { name: 'WardenError', code: 'WARDEN_PARSE_DTD_FORBIDDEN' }
const BAD_XML = { name: 'WardenError', code: 'WARDEN_PARSE_BAD_XML' }
const BAD_BODY = { name: 'WardenError', code: 'WARDEN_CALLBACK_BAD_BODY' }

/** An event as WeCom lays it out; `extra` holds the fields that set one event apart. */
function eventXml(extra: string, createTime = '1700000000'): string {
  return [
    '<xml><ToUserName><![CDATA[ww0000000000000000]]></ToUserName>',
    '<FromUserName><![CDATA[user_a]]></FromUserName>',
    `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType>`,
    `${extra}<AgentID>1000002</AgentID></xml>`,
  ].join('')
}

t.test('V2 keeps MsgId 4561255354251345929 exactly and lifts the common fields', async (t) => {
  const message = parseInboundMessage(v2.expect_plaintext)
  t.match(message, {
    msgId: '4561255354251345929',
    hasWecomMsgId: true,
    kind: 'message',
    msgType: 'text',
    event: null,
    corpId: vectorConfig(v2.config).corpId,
    agentId: '218',
    fromUser: 'mycreate',
    createTime: 1409659813,
    content: 'hello',
  })
  t.equal(message.fields.MsgId, '4561255354251345929')
})

t.test('V4 plaintext without CDATA keeps its Chinese content', async (t) => {
  const message = parseInboundMessage(v4.expect_plaintext)
  t.equal(message.content, '你好')
  t.equal(message.msgId, '1456453720')
  t.equal(message.agentId, '1000002')
  t.equal(message.corpId, vectorConfig(v4.config).corpId)
})

t.test('every official XML vector parses with its exact MsgId and its corp', async (t) => {
  for (const v of vectorsOfKind('message-xml')) {
    const written = /<MsgId>(?:<!\[CDATA\[)?([0-9]+)/.exec(v.expect_plaintext)?.[1]
    const msgId = written ?? 'a MsgId written in the plaintext'
    t.match(
      parseInboundMessage(v.expect_plaintext),
      { kind: 'message', hasWecomMsgId: true, msgId, corpId: vectorConfig(v.config).corpId },
      v.id,
    )
    if (v.body === undefined) continue
    t.equal(readCallbackEnvelope(v.body).encrypt, v.encrypt, `${v.id} body carries its Encrypt`)
  }
})

t.test('numeric-looking values stay strings, CDATA or bare', async (t) => {
  const record = parseXmlRecord(
    '<xml><A><![CDATA[0012]]></A><B>0012</B><C><![CDATA[1]]></C><D>true</D><E>1e3</E></xml>',
  )
  t.same(record, { A: '0012', B: '0012', C: '1', D: 'true', E: '1e3' })
  t.equal(typeof record.C, 'string')
})

t.test('text is kept verbatim and only predefined entities are decoded', async (t) => {
  const record = parseXmlRecord(
    [
      '<xml><Spaced><![CDATA[  two  spaces  ]]></Spaced>',
      '<Literal><![CDATA[a &amp; b]]></Literal>',
      '<Escaped>a &amp; b &lt;c&gt; &#20320;&#x597D;</Escaped>',
      '<Mixed>a<![CDATA[<b>]]>c</Mixed><Unknown>&nbsp;&#0;</Unknown><Empty/></xml>',
    ].join('\n'),
  )
  t.same(record, {
    Spaced: '  two  spaces  ',
    Literal: 'a &amp; b',
    Escaped: 'a & b <c> 你好',
    Mixed: 'a<b>c',
    Unknown: '&nbsp;&#0;',
    Empty: '',
  })
})

t.test('nested and repeated elements are kept as records and lists', async (t) => {
  const record = parseXmlRecord(
    [
      '<xml><MsgType>event</MsgType><SendPicsInfo><Count>2</Count><PicList>',
      '<item><PicMd5Sum>aa</PicMd5Sum></item><item><PicMd5Sum>bb</PicMd5Sum></item>',
      '</PicList></SendPicsInfo><Tag id="7">x</Tag></xml>',
    ].join('\n'),
  )
  t.same(record, {
    MsgType: 'event',
    SendPicsInfo: { Count: '2', PicList: { item: [{ PicMd5Sum: 'aa' }, { PicMd5Sum: 'bb' }] } },
    Tag: { '@id': '7', '#text': 'x' },
  })
})

t.test('P12 a DOCTYPE with a SYSTEM entity is refused and the entity never expanded', async (t) => {
  const hostile = [
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>',
    '<xml><Encrypt>&e;</Encrypt></xml>',
  ].join('')
  t.throws(() => parseXmlRecord(hostile), DTD_FORBIDDEN)
  t.throws(() => readCallbackEnvelope(hostile), DTD_FORBIDDEN)
  t.throws(() => parseInboundMessage(hostile), DTD_FORBIDDEN)

  const laughs = `<!DOCTYPE x [<!ENTITY a "ha">${'<!ENTITY b "&a;&a;">'}]><xml><A>&b;</A></xml>`
  t.throws(() => parseXmlRecord(laughs), DTD_FORBIDDEN, 'internal entities too')
  t.throws(() => parseXmlRecord('<xml><!DOCTYPE x><A>1</A></xml>'), DTD_FORBIDDEN, 'inside root')
  t.throws(() => parseXmlRecord('<!doctype xml><xml/>'), DTD_FORBIDDEN, 'in lower case')
  t.throws(() => parseXmlRecord('<xml><!ENTITY e "x"><A/></xml>'), DTD_FORBIDDEN, 'bare ENTITY')

  t.same(parseXmlRecord('<xml><A>&e;</A></xml>'), { A: '&e;' }, 'an undeclared entity stays text')
})

t.test('P12 a chat message whose text mentions a DOCTYPE is still read', async (t) => {
  const xml =
    '<xml><!-- <!DOCTYPE in a comment --><Content><![CDATA[<!DOCTYPE html>]]></Content></xml>'
  t.same(parseXmlRecord(xml), { Content: '<!DOCTYPE html>' })
})

t.test('P13 empty AgentID and CreateTime parse leniently and stay in fields', async (t) => {
  const message = parseInboundMessage(
    [
      '<xml><ToUserName><![CDATA[ww0000000000000000]]></ToUserName>',
      '<FromUserName><![CDATA[user_a]]></FromUserName><CreateTime></CreateTime>',
      '<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>',
      '<MsgId>1</MsgId><AgentID><![CDATA[]]></AgentID></xml>',
    ].join(''),
  )
  t.match(message, { agentId: null, createTime: null, kind: 'message', content: 'hi' })
  t.same([message.fields.AgentID, message.fields.CreateTime], ['', ''])

  for (const [agent, created] of [
    ['abc', '14096x'],
    ['-1', '99999999999999999999'],
    ['', '1.5'],
  ]) {
    const odd = parseInboundMessage(eventXml('', created).replace('1000002', agent ?? ''))
    t.match(odd, { agentId: null, createTime: null }, `${agent} / ${created}`)
  }
  t.match(parseInboundMessage(eventXml('').replace('1000002', ' 218 ')), { agentId: '218' })
})

t.test('P14 a brand new event without MsgId is an event with a derived key', async (t) => {
  const message = parseInboundMessage(eventXml('<Event><![CDATA[brand_new_event]]></Event>'))
  t.match(message, {
    kind: 'event',
    msgType: 'event',
    event: 'brand_new_event',
    hasWecomMsgId: false,
    fromUser: 'user_a',
    createTime: 1700000000,
    content: null,
  })
  t.match(message.msgId, /^evt-[0-9a-f]{64}$/)
})

t.test('P14 XML without MsgType, or with a new one, is unknown and never throws', async (t) => {
  const untyped = parseInboundMessage('<xml><FromUserName>user_a</FromUserName></xml>')
  t.match(untyped, { kind: 'unknown', msgType: null, event: null, hasWecomMsgId: false })
  t.match(untyped.msgId, /^evt-/)

  const hologram = parseInboundMessage('<xml><MsgType>hologram</MsgType><MsgId>9</MsgId></xml>')
  t.match(hologram, { kind: 'unknown', msgType: 'hologram', msgId: '9', hasWecomMsgId: true })

  for (const xml of ['<other/>', '<xml>just text</xml>', '<xml><MsgType><a/></MsgType></xml>']) {
    t.equal(parseInboundMessage(xml).kind, 'unknown', xml)
  }
})

t.test('P15 two events in the same second from one user get different keys', async (t) => {
  const change = (type: string) =>
    eventXml(`<Event><![CDATA[change_contact]]></Event><ChangeType>${type}</ChangeType>`)
  const created = parseInboundMessage(change('create_user'))
  const updated = parseInboundMessage(change('update_user'))
  t.not(created.msgId, updated.msgId)
  t.equal(parseInboundMessage(change('create_user')).msgId, created.msgId, 'identical XML')

  const relaidOut = eventXml(
    '<ChangeType><![CDATA[create_user]]></ChangeType>\n  <Event>change_contact</Event>',
  )
  t.equal(parseInboundMessage(relaidOut).msgId, created.msgId, 'layout and order do not count')

  const nested = (value: string) =>
    parseInboundMessage(eventXml(`<Event>x</Event><Info><Key>${value}</Key></Info>`)).msgId
  t.not(nested('1'), nested('2'), 'nested fields count too')
})

t.test('element names that would reach Object.prototype are renamed, not obeyed', async (t) => {
  const record = parseXmlRecord(
    '<xml><__proto__><polluted>yes</polluted></__proto__><constructor>1</constructor></xml>',
  )
  t.same(Object.keys(record), ['#__proto__', '#constructor'])
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.equal(parseInboundMessage('<xml><prototype/></xml>').kind, 'unknown')

  const inherited = '<xml><toLocaleString>a</toLocaleString><isPrototypeOf>b</isPrototypeOf></xml>'
  t.same(parseXmlRecord(inherited), { toLocaleString: 'a', isPrototypeOf: 'b' })
})

t.test('malformed XML is refused with a typed parse error', async (t) => {
  const malformed = [
    '',
    'hello',
    '<xml><A>1</A>',
    '<xml><A>1</a></xml>',
    '<xml><A>a & b</A></xml>',
    '<a/><b/>',
    '<xml><![CDATA[never closed</xml>',
    '<xml><!-- never closed </xml>',
    '{"MsgType":"text"}',
  ]
  for (const xml of malformed) t.throws(() => parseXmlRecord(xml), BAD_XML, JSON.stringify(xml))
  t.throws(() => parseXmlRecord(undefined as unknown as string), BAD_XML)

  const deep = `<xml>${'<a>'.repeat(150)}${'</a>'.repeat(150)}</xml>`
  t.throws(() => parseInboundMessage(deep), BAD_XML, 'nesting is capped')
})

t.test('the callback envelope is read in any element order, CDATA or bare', async (t) => {
  t.same(readCallbackEnvelope(v2.body ?? ''), {
    encrypt: v2.encrypt,
    toUserName: vectorConfig(v2.config).corpId,
    agentId: '218',
  })
  t.same(readCallbackEnvelope('<xml><Encrypt>abc=</Encrypt></xml>'), {
    encrypt: 'abc=',
    toUserName: null,
    agentId: null,
  })
})

t.test('a body without exactly one non-empty Encrypt is a bad body', async (t) => {
  const bodies = [
    '<xml><ToUserName>ww0000000000000000</ToUserName></xml>',
    '<xml><Encrypt></Encrypt></xml>',
    '<xml><Encrypt><![CDATA[]]></Encrypt></xml>',
    '<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt></xml>',
    '<xml><Encrypt><Inner>a</Inner></Encrypt></xml>',
  ]
  for (const body of bodies) t.throws(() => readCallbackEnvelope(body), BAD_BODY, body)
  t.throws(() => readCallbackEnvelope(Buffer.from('x') as unknown as string), BAD_BODY)
  t.throws(() => readCallbackEnvelope('hello'), BAD_XML, 'a scanner body is malformed XML')
})

t.test('mutated plaintexts only ever raise typed parse errors', async (t) => {
  let state = 0x12345678
  const next = (below: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return state % below
  }
  const pieces = ['<', '>', '/', '&', ';', '<!', '[CDATA[', ']]>', '"', '=', '#', 'x', ' ']
  const foreign: string[] = []
  let refused = 0

  for (let round = 0; round < 1500; round++) {
    let xml = round % 2 === 0 ? v2.expect_plaintext : eventXml('<Event>x</Event>')
    for (let edits = 1 + next(4); edits > 0; edits--) {
      const at = next(xml.length)
      const piece = next(3) === 0 ? '' : (pieces[next(pieces.length)] ?? '')
      xml = xml.slice(0, at) + piece + xml.slice(at + next(3))
    }
    try {
      parseInboundMessage(xml)
    } catch (err) {
      if (err instanceof WardenError && err.code.startsWith('WARDEN_PARSE_')) refused++
      else foreign.push(`${JSON.stringify(xml)}: ${String(err)}`)
    }
  }
  t.same(foreign, [])
  t.ok(refused > 100 && refused < 1500, `${refused} of 1500 mutations refused, the rest parsed`)
})
