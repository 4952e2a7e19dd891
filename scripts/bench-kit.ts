import { performance } from 'node:perf_hooks'

/**
 * Times `run` over a text of each size (repeating it `rounds(size)` times), warms up once, and
 * prints how the cost per character at the large size compares with the small one.
 */
export function printLinearity(
  makeText: (size: number) => string,
  run: (text: string) => unknown,
  sizes: { small: number; large: number; rounds: (size: number) => number },
): void {
  const perChar = (size: number) => {
    const text = makeText(size)
    const rounds = sizes.rounds(size)
    const started = performance.now()
    for (let i = 0; i < rounds; i++) run(text)
    return (performance.now() - started) / (rounds * text.length)
  }
  perChar(sizes.small)
  const small = perChar(sizes.small)
  const large = perChar(sizes.large)
  process.stdout.write(
    `  => per-character cost ratio ${(large / small).toFixed(2)} (1.00 = linear)\n`,
  )
}
