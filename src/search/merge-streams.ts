/**
 * Merges streams that are each already in order into one stream in that order. `before(a, b)`
 * says whether `a` comes first.
 */
export async function* mergeStreams<T>(
  streams: AsyncIterable<T>[],
  before: (a: T, b: T) => boolean,
): AsyncGenerator<T> {
  if (streams.length === 1) {
    yield* streams[0] as AsyncIterable<T>
    return
  }
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]())
  const heads: (T | undefined)[] = []
  const done: boolean[] = []
  for (const [index, iterator] of iterators.entries()) {
    const next = await iterator.next()
    heads[index] = next.done ? undefined : next.value
    done[index] = next.done === true
  }
  try {
    for (;;) {
      let pick = -1
      for (let index = 0; index < iterators.length; index++) {
        if (done[index]) continue
        if (pick === -1 || before(heads[index] as T, heads[pick] as T)) pick = index
      }
      if (pick === -1) return
      yield heads[pick] as T
      const next = await (iterators[pick] as AsyncIterator<T>).next()
      heads[pick] = next.done ? undefined : next.value
      done[pick] = next.done === true
    }
  } finally {
    // The caller may stop early (a full page): let every stream close its database cursor.
    for (const [index, iterator] of iterators.entries()) {
      if (!done[index]) await iterator.return?.()
    }
  }
}
