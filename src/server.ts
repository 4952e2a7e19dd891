import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig } from './config/load-config.js'
import { isWardenError } from './errors/warden-error.js'

/** The process: read config, build the app, listen, and close cleanly on a signal. */
async function main(): Promise<void> {
  const config = loadConfig(process.env, process.env.WARDEN_ENV_FILE ?? '.env')
  const app = await buildApp(config)

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an unexpected error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })

  // `kill -HUP <pid>` (or `docker kill -s HUP`) re-reads the policy without a restart.
  process.on('SIGHUP', () => {
    app.warden.reloadPolicy('SIGHUP').catch((err: unknown) => {
      app.log.error({ err }, 'policy reload failed')
    })
  })

  const address = await app.listen({ host: config.HOST, port: config.PORT })
  app.log.info({ address }, 'warden ready')
}

main().catch((err: unknown) => {
  // Start-up failures name the variable or file at fault; they never print secret values.
  const message = isWardenError(err) ? `${err.code}: ${err.message}` : String(err)
  process.stderr.write(`wecom-warden could not start\n${message}\n`)
  if (isWardenError(err) && err.cause instanceof Error && err.code !== 'WARDEN_CONFIG_INVALID') {
    process.stderr.write(`cause: ${err.cause.message}\n`)
  }
  process.exit(1)
})
