/**
 * Benchmarks of the hot paths, each printed beside a baseline measured in the same run, so the
 * ratios mean something on any machine. Nothing here asserts a time; compare ratios over runs.
 */
import { createDecipheriv } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { parseEncodingAesKey } from '../src/crypto/aes-key.js'
import { openCallback } from '../src/crypto/open-callback.js'
import { readInbound } from '../src/parse/read-inbound.js'
import { loadPolicyFile } from '../src/policy/load-policy.js'
import type { PolicyInput } from '../src/policy/types.js'
import { buildMessageCallback, textMessageXml } from '../src/simulator/callback-sender.js'
import { printLinearity } from './bench-kit.js'

const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const APP = { token: 'BenchToken', encodingAesKey: KEY, corpId: 'ww0000000000000000', agentId: '1' }

function rate(label: string, iterations: number, run: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(iterations, 500); i++) run(i)
  const started = performance.now()
  for (let i = 0; i < iterations; i++) run(i)
  const perSecond = iterations / ((performance.now() - started) / 1000)
  process.stdout.write(`  ${label.padEnd(52)} ${Math.round(perSecond).toLocaleString('en')}/s\n`)
  return perSecond
}

function ratio(label: string, ours: number, baseline: number): void {
  process.stdout.write(`  => ${label}: ${(ours / baseline).toFixed(2)}x the baseline\n\n`)
}

function benchCallbacks(): void {
  process.stdout.write('callback open (signature + AES + checks + XML parse), per callback\n')
  const aesKey = parseEncodingAesKey(KEY)
  const xml = textMessageXml({
    corpId: APP.corpId,
    fromUser: 'zhangsan',
    content: '明天下午三点开会，请准备好季度报告。Please bring the Q3 deck.',
    msgId: '7300000000000000001',
    agentId: APP.agentId,
    createTime: 1_700_000_000,
  })
  const built = buildMessageCallback(APP, xml, { timestampSeconds: 1_700_000_000 })
  const creds = { token: APP.token, aesKey, receiveId: APP.corpId }
  const parts = { ...built, encrypted: built.encrypted }
  const baseline = rate('baseline: bare AES-256-CBC decrypt', 20_000, () => {
    const decipher = createDecipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16))
    decipher.setAutoPadding(false)
    return Buffer.concat([decipher.update(built.encrypted, 'base64'), decipher.final()])
  })
  const ours = rate('wecom-warden: openCallback + readInbound', 20_000, () =>
    readInbound(openCallback(creds, parts, { maxAgeSeconds: 0 })),
  )
  ratio('full callback handling', ours, baseline)
}

function corpus(count: number): string[] {
  const parts = [
    '季度销售',
    'meeting at 3pm',
    '客户回访',
    'please review',
    '合同条款',
    'invoice',
    '周末加班',
    'deck v2',
    '项目进度',
    'thanks!',
    '赌博',
    'guaranteed return',
  ]
  return Array.from({ length: count }, (_, i) => {
    let text = ''
    for (let j = i; text.length < 100; j += 7) text += `${parts[j % parts.length]} `
    return text.slice(0, 100)
  })
}

async function benchPolicy(): Promise<void> {
  process.stdout.write('policy evaluation of 100-character messages (shipped config/policy.yaml)\n')
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const before = process.memoryUsage().heapUsed
  const policy = await loadPolicyFile('config/policy.yaml')
  gc?.()
  const heap = (process.memoryUsage().heapUsed - before) / 1024 / 1024
  const texts = corpus(2000)
  const keywords = [
    '赌博',
    '博彩',
    'gamble',
    'casino',
    '加微信',
    '私聊',
    'whatsapp',
    'telegram',
    '内幕消息',
    '保证收益',
    'insider tip',
    'guaranteed return',
  ]
  const input = (text: string): PolicyInput => ({
    text,
    fromUser: 'u',
    channel: 'bench',
    msgType: 'text',
  })
  const baseline = rate('baseline: lower-case + includes() per keyword', 50_000, (i) => {
    const text = (texts[i % texts.length] as string).toLowerCase()
    return keywords.filter((k) => text.includes(k))
  })
  const ours = rate('wecom-warden: normalise + match every rule', 50_000, (i) =>
    policy.evaluate(input(texts[i % texts.length] as string)),
  )
  ratio('policy evaluation', ours, baseline)
  process.stdout.write(
    `  compiled policy: ${policy.ruleCount} rules, ~${heap.toFixed(1)} MB heap\n\n`,
  )

  process.stdout.write('linearity: time per character, 200 000 vs 20 000 characters\n')
  const unit = '季度销售数据 notes 12345 '
  printLinearity(
    (n) => unit.repeat(n),
    (text) => policy.evaluate(input(text)),
    {
      small: 1000,
      large: 10_000,
      rounds: () => 5,
    },
  )
}

benchCallbacks()
await benchPolicy()
