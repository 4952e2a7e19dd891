import type { Verdict } from '../types.js'

/** What a detector found, as JS string offsets into the original text. */
export interface DetectorHit {
  start: number
  end: number
  /** The original text at [start, end). */
  text: string
  /** FLAG when the number checks out; REVIEW when only its shape does (failed checksum). */
  verdict: Verdict
  /** Why it was reported, in words and without the value itself (it may be shown as is). */
  reason: string
  /** The value as read: ASCII digits (and X), or the lower-cased address. */
  value: string
}

/** Reads the original text, never the normalised one, so spans need no mapping. */
export type Detector = (original: string) => DetectorHit[]
