import {
  CHANNEL_NAMES,
  type ChannelName,
  type ChatType,
  type Direction,
  type PolicyInput,
} from './types.js'

/** Which messages a rule is about; each list that is given must match. */
export interface RuleScope {
  users?: string[]
  excludeUsers?: string[]
  departments?: string[]
  channels?: ChannelName[]
  chatTypes?: ChatType[]
  directions?: Direction[]
}

/** Allow-lists: senders the rule never flags, phrases inside which a hit does not count. */
export interface RuleExceptions {
  users: string[]
  phrases: string[]
}

/**
 * Whether a rule applies to a message. A list is checked only against what the input knows:
 * when a channel does not report the sender, chat type, direction or departments, the rule
 * still applies. A monitor that skipped rules whenever metadata were missing would go blind
 * on exactly the channels that report least; a surplus hit is visible and can be reviewed,
 * a missed one is not.
 */
export function isRuleInScope(
  scope: RuleScope,
  exceptions: RuleExceptions,
  input: PolicyInput,
): boolean {
  const user = input.fromUser ?? undefined
  const channel = CHANNEL_NAMES.includes(input.channel as ChannelName) ? input.channel : undefined

  if (user !== undefined && exceptions.users.includes(user)) return false
  if (user !== undefined && scope.excludeUsers?.includes(user)) return false
  if (!allows(scope.users, user)) return false
  if (!allows(scope.channels, channel)) return false
  if (!allows(scope.chatTypes, input.chatType ?? undefined)) return false
  if (!allows(scope.directions, input.direction ?? undefined)) return false

  const departments = input.departments
  if (!scope.departments || !Array.isArray(departments)) return true
  return departments.some((department) => scope.departments?.includes(department))
}

function allows<T>(list: readonly T[] | undefined, value: T | undefined): boolean {
  return list === undefined || value === undefined || list.includes(value)
}
