import { detectBankCard } from './bank-card.js'
import { detectCnIdCard } from './cn-id-card.js'
import { detectCnMobile } from './cn-mobile.js'
import type { Detector } from './detector-hit.js'
import { detectEmail } from './email.js'

/** The detectors that read the original text, by the name a policy gives them. */
export const TEXT_DETECTORS = {
  'cn-mobile': detectCnMobile,
  'cn-id-card': detectCnIdCard,
  'bank-card': detectBankCard,
  email: detectEmail,
} as const satisfies Record<string, Detector>

export type TextDetectorName = keyof typeof TEXT_DETECTORS

/** Every name `detector:` accepts; contact-word is a built-in keyword list (contact-words.ts). */
export const DETECTOR_NAMES = [...Object.keys(TEXT_DETECTORS), 'contact-word'] as DetectorName[]

export type DetectorName = TextDetectorName | 'contact-word'

export function isTextDetector(name: DetectorName): name is TextDetectorName {
  return name !== 'contact-word'
}
