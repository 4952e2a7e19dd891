const NODE_FIELDS = 4
const BASE = 0
const CHECK = 1
const FAIL = 2
const OUTPUT = 3

/**
 * An Aho–Corasick automaton over small integer symbols (1..alphabetSize; 0 means "a symbol no
 * pattern uses"). Built once per rule set and then read-only: the trie is frozen into a double
 * array (the child of node n by symbol s is node base[n] + s, if check[] of that node says n),
 * so that following an edge reads two numbers instead of probing a large hash table: a
 * chat message follows an edge, or fails to, at nearly every character.
 */
export class AhoCorasick {
  /** For each node, the pattern index it completes, or -1. */
  readonly terminal: Int32Array
  /** For each node, the nearest proper suffix node that completes a pattern, or 0 for none. */
  readonly outputLink: Int32Array
  /**
   * Per node, NODE_FIELDS numbers side by side: its base, its check (its parent; -1 for a free
   * slot, node numbers being slots), its failure link and its first output. Interleaved, so
   * that a step reads one or two cache lines rather than one per array: with thousands of
   * keywords the arrays outgrow the CPU caches, and a message steps at nearly every character.
   */
  private readonly nodes: Int32Array

  constructor(patterns: readonly (readonly number[])[], alphabetSize: number) {
    const children = buildTrie(patterns)
    const layout = layOut(children, alphabetSize)
    const size = layout.check.length
    this.nodes = new Int32Array(size * NODE_FIELDS)
    for (let slot = 0; slot < size; slot++) {
      this.nodes[slot * NODE_FIELDS + BASE] = layout.base[slot] as number
      this.nodes[slot * NODE_FIELDS + CHECK] = layout.check[slot] as number
    }
    this.terminal = new Int32Array(size).fill(-1)
    patterns.forEach((pattern, index) => {
      this.terminal[layout.slots[walkTrie(children, pattern)] as number] = index
    })
    this.outputLink = new Int32Array(size)
    this.linkFailures(children, layout.slots)
    for (let slot = 0; slot < size; slot++) {
      const output = (this.terminal[slot] as number) >= 0 ? slot : this.outputLink[slot]
      this.nodes[slot * NODE_FIELDS + OUTPUT] = output as number
    }
  }

  /** The state after reading `symbol` in `state`. */
  step(state: number, symbol: number): number {
    const { nodes } = this
    let node = state
    for (;;) {
      const child = (nodes[node * NODE_FIELDS + BASE] as number) + symbol
      if (nodes[child * NODE_FIELDS + CHECK] === node) return child
      if (node === 0) return 0
      node = nodes[node * NODE_FIELDS + FAIL] as number
    }
  }

  /**
   * The first node whose pattern ends in `state`: the state itself, or its output link; 0 for
   * none. The rest follow through `outputLink`.
   */
  firstOutput(state: number): number {
    return this.nodes[state * NODE_FIELDS + OUTPUT] as number
  }

  private linkFailures(children: readonly Map<number, number>[], slots: Int32Array): void {
    const queue: number[] = [...(children[0] as Map<number, number>).values()]
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head] as number
      const slot = slots[node] as number
      for (const [symbol, child] of children[node] as Map<number, number>) {
        const childSlot = slots[child] as number
        const fallback = this.step(this.nodes[slot * NODE_FIELDS + FAIL] as number, symbol)
        this.nodes[childSlot * NODE_FIELDS + FAIL] = fallback
        this.outputLink[childSlot] =
          (this.terminal[fallback] as number) >= 0
            ? fallback
            : (this.outputLink[fallback] as number)
        queue.push(child)
      }
    }
  }
}

interface Layout {
  base: Int32Array
  check: Int32Array
  /** For each trie node, its slot. */
  slots: Int32Array
}

/**
 * Places the trie in a double array, node by node in breadth-first order: each node gets the
 * lowest base at which all its children's slots are free. The root sits at slot 0 with base 0,
 * so its children are their own symbols.
 */
function layOut(children: readonly Map<number, number>[], alphabetSize: number): Layout {
  let check = new Int32Array(Math.max(alphabetSize + 1, children.length) * 2).fill(-1)
  let base = new Int32Array(check.length)
  const slots = new Int32Array(children.length)
  check[0] = 0
  const grow = (length: number) => {
    if (length <= check.length) return
    const size = Math.max(length, check.length * 2)
    const grownCheck = new Int32Array(size).fill(-1)
    grownCheck.set(check)
    const grownBase = new Int32Array(size)
    grownBase.set(base)
    check = grownCheck
    base = grownBase
  }

  // The lowest slot that may still be free: every base search starts from it.
  let firstFree = 1
  const queue = [0]
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as number
    const edges = [...(children[node] as Map<number, number>)].sort((a, b) => a[0] - b[0])
    if (edges.length === 0) continue
    const symbols = edges.map(([symbol]) => symbol)
    const nodeBase = node === 0 ? 0 : findBase(symbols)
    const slot = slots[node] as number
    base[slot] = nodeBase
    for (const [symbol, child] of edges) {
      check[nodeBase + symbol] = slot
      slots[child] = nodeBase + symbol
      queue.push(child)
    }
    while (firstFree < check.length && check[firstFree] !== -1) firstFree++
  }
  // Cut to the last node, plus room for any symbol after it: a read past the last node's
  // children must land in a free slot, not past the end.
  let last = check.length - 1
  while (last > 0 && check[last] === -1) last--
  const size = last + alphabetSize + 1
  const sizedCheck = new Int32Array(size).fill(-1)
  sizedCheck.set(check.subarray(0, Math.min(size, check.length)))
  const sizedBase = new Int32Array(size)
  sizedBase.set(base.subarray(0, Math.min(size, base.length)))
  return { base: sizedBase, check: sizedCheck, slots }

  function findBase(symbols: number[]): number {
    const first = symbols[0] as number
    for (let candidate = Math.max(1, firstFree - first); ; candidate++) {
      grow(candidate + (symbols.at(-1) as number) + 1)
      if (symbols.every((symbol) => check[candidate + symbol] === -1)) return candidate
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
