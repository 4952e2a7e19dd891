/** One self-built app: WeCom issues one secret, and so one access token, per app. */
export interface WecomAppCredentials {
  corpId: string
  agentId: string
  secret: string
}

type LogFn = (obj: Record<string, unknown>, msg: string) => void

/** The pino subset the client writes to: fields first, a short fixed message second. */
export interface WecomLogger {
  info: LogFn
  warn: LogFn
  error: LogFn
  debug: LogFn
}

export interface WecomClientOptions {
  /** e.g. 'https://qyapi.weixin.qq.com' or a simulator URL; '/cgi-bin/...' is appended. */
  baseUrl: string
  credentials: WecomAppCredentials
  logger?: WecomLogger
  /** Defaults to the global fetch. */
  fetchImpl?: typeof fetch
  /** Per HTTP call, default 10 000. */
  timeoutMs?: number
  nowMs?: () => number
  /** Waits before the 2nd and 3rd try after errcode -1; default [200, 1000]. */
  retryDelaysMs?: readonly number[]
  /** Per media/get call, default 60 000: a file may be 20 MB. */
  mediaTimeoutMs?: number
  /** media/get bodies above this are refused, default 32 MiB (WeCom's largest is 20 MB). */
  maxMediaBytes?: number
}

export interface SendTextRequest {
  toUser: string[]
  content: string
  /** Makes WeCom drop an identical message to the same user within this window (1..14400). */
  duplicateCheckSeconds?: number
}

export interface SendResult {
  msgId: string | null
  /** Lower-cased by WeCom. */
  invalidUsers: string[]
  unlicensedUsers: string[]
}

/** Fields every WeCom server-API reply carries. */
export interface WecomReply {
  errcode?: unknown
  errmsg?: unknown
  [field: string]: unknown
}

/** What media/get answered with bytes: the same URL answers JSON when it fails. */
export interface MediaFile {
  bytes: Buffer
  contentType: string | null
  /** From Content-Disposition, stripped of any path; null when WeCom named none. */
  filename: string | null
}
