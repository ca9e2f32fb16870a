// "Did you mean …?": the one edit distance of the code base (a mistyped command, a mistyped host).

/** Edit distance with adjacent swaps counted as one edit (Damerau). */
function editDistance(a: string, b: string): number {
  const d = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      // a swap of two neighbours is one typo
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The candidate a typo most likely meant: the closest one within a third of its length (at least one edit);
 * a prefix of two or more letters counts as half an edit when `prefixes` is set (commands).
 */
export function closest(word: string, candidates: readonly string[], prefixes = false): string | undefined {
  const w = word.toLowerCase()
  if (w.length > 64) return undefined
  let best: {id: string; d: number} | undefined
  for (const id of candidates) {
    const d = prefixes && w.length > 1 && id.startsWith(w) ? 0.5 : editDistance(w, id)
    if (!best || d < best.d) best = {id, d}
  }
  return best && best.d <= Math.max(1, Math.floor(best.id.length / 3)) ? best.id : undefined
}
