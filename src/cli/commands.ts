import { auditCommand } from './audit.js'
import type { CommandGroup } from './command-table.js'
import { exportCommand } from './export.js'
import { holdCommands } from './hold.js'
import { policyBacktestCommand } from './policy-backtest.js'
import { policyCheckCommand } from './policy-check.js'
import { policyTestCommand } from './policy-test.js'
import { retentionCommands } from './retention.js'
import { searchCommand } from './search.js'
import { verifyCommand } from './verify.js'

/**
 * Every command warden knows. A new command is a module exporting a Command (or a group of
 * them) and one line here; the dispatcher, help and usage errors come with it.
 */
export const WARDEN_COMMANDS: CommandGroup = {
  name: 'warden',
  summary: 'wecom-warden: a compliance monitor for WeCom.',
  children: [
    {
      name: 'policy',
      summary: 'check texts against the policy and test the policy against its examples',
      children: [policyCheckCommand, policyTestCommand, policyBacktestCommand],
    },
    verifyCommand,
    searchCommand,
    exportCommand,
    holdCommands,
    retentionCommands,
    auditCommand,
  ],
}
