/**
 * An Aho–Corasick automaton over small integer symbols (1..alphabetSize; 0 means "a symbol no
 * pattern uses"). Built once per rule set and then read-only: the trie is frozen into typed
 * arrays, children sorted per node, with a dense row for the root where the fan-out is widest.
 */
export class AhoCorasick {
  /** For each node, the pattern index it completes, or -1. */
  readonly terminal: Int32Array
  /** For each node, the nearest proper suffix node that completes a pattern, or 0 for none. */
  readonly outputLink: Int32Array
  private readonly fail: Int32Array
  private readonly rootNext: Int32Array
  /**
   * Edges below the root in an open-addressing table of [node, symbol, target] triples, side by
   * side so that a probe touches one cache line: one probe, most of the time.
   */
  private readonly edges: Int32Array

  constructor(patterns: readonly (readonly number[])[], alphabetSize: number) {
    const children = buildTrie(patterns)
    const nodeCount = children.length
    this.terminal = new Int32Array(nodeCount).fill(-1)
    patterns.forEach((pattern, index) => {
      this.terminal[walkTrie(children, pattern)] = index
    })

    this.rootNext = new Int32Array(alphabetSize + 1)
    for (const [symbol, child] of children[0] as Map<number, number>) this.rootNext[symbol] = child
    this.edges = hashEdges(children)
    this.fail = new Int32Array(nodeCount)
    this.outputLink = new Int32Array(nodeCount)
    this.linkFailures(children)
  }

  get nodeCount(): number {
    return this.fail.length
  }

  /** The state after reading `symbol` in `state`. */
  step(state: number, symbol: number): number {
    let node = state
    while (node !== 0) {
      const next = this.findChild(node, symbol)
      if (next !== 0) return next
      node = this.fail[node] as number
    }
    return this.rootNext[symbol] as number
  }

  private findChild(node: number, symbol: number): number {
    const edges = this.edges
    const mask = edges.length / 3 - 1
    for (let slot = hashEdge(node, symbol) & mask; ; slot = (slot + 1) & mask) {
      const at = slot * 3
      const target = edges[at + 2] as number
      if (target === 0) return 0
      if (edges[at] === node && edges[at + 1] === symbol) return target
    }
  }

  private linkFailures(children: readonly Map<number, number>[]): void {
    const queue: number[] = [...(children[0] as Map<number, number>).values()]
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head] as number
      for (const [symbol, child] of children[node] as Map<number, number>) {
        const fallback = node === 0 ? 0 : this.step(this.fail[node] as number, symbol)
        this.fail[child] = fallback
        this.outputLink[child] =
          (this.terminal[fallback] as number) >= 0
            ? fallback
            : (this.outputLink[fallback] as number)
        queue.push(child)
      }
    }
  }
}

function buildTrie(patterns: readonly (readonly number[])[]): Map<number, number>[] {
  const children: Map<number, number>[] = [new Map()]
  for (const pattern of patterns) {
    let node = 0
    for (const symbol of pattern) {
      const edges = children[node] as Map<number, number>
      let next = edges.get(symbol)
      if (next === undefined) {
        next = children.length
        children.push(new Map())
        edges.set(symbol, next)
      }
      node = next
    }
  }
  return children
}

function walkTrie(children: readonly Map<number, number>[], pattern: readonly number[]): number {
  let node = 0
  for (const symbol of pattern) node = (children[node] as Map<number, number>).get(symbol) ?? 0
  return node
}

function hashEdge(node: number, symbol: number): number {
  return (Math.imul(node, 0x9e3779b1) ^ Math.imul(symbol, 0x85ebca77)) >>> 7
}

/** Every edge below the root, in a table at most half full so that misses end quickly. */
function hashEdges(children: readonly Map<number, number>[]): Int32Array {
  let edgeCount = 0
  for (let node = 1; node < children.length; node++) {
    edgeCount += (children[node] as Map<number, number>).size
  }
  let size = 16
  while (size < edgeCount * 2) size *= 2

  const edges = new Int32Array(size * 3)
  for (let node = 1; node < children.length; node++) {
    for (const [symbol, child] of children[node] as Map<number, number>) {
      let slot = hashEdge(node, symbol) & (size - 1)
      while (edges[slot * 3 + 2] !== 0) slot = (slot + 1) & (size - 1)
      edges.set([node, symbol, child], slot * 3)
    }
  }
  return edges
}
