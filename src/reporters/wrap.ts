// Word-wrapping prose for text output: --width, a terminal's width, COLUMNS, else 160 columns. Breaks at spaces only; a word longer than the line (a URL, a path)
// stays whole on its own line rather than being cut. Colour escapes count as zero width.

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;]*m/g

function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length
}

/**
 * Wrap one paragraph to `width` columns. `first` prefixes the first line, `rest`
 * the following ones (hanging indent); both count towards the width.
 */
export function wrapParagraph(text: string, width: number, first = '', rest = first): string {
  if (!text.includes('\n') && visibleLength(first + text) <= width) return first + text
  const words = text.split(/ +/).filter((w) => w.length > 0)
  if (words.length === 0) return first.trimEnd()
  const lines: string[] = []
  let line = first
  let empty = true
  for (const word of words) {
    const candidate = empty ? line + word : `${line} ${word}`
    if (!empty && visibleLength(candidate) > width) {
      lines.push(line)
      line = rest + word
    } else line = candidate
    empty = false
  }
  lines.push(line)
  return lines.join('\n')
}

/** Wrap a text that may hold several lines: each line is wrapped on its own, keeping its indentation. */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      if (visibleLength(line) <= width) return line
      const indent = /^ */.exec(line)![0]
      // list items ("1. ", "- ") hang under their text
      const bullet = /^ *(?:\d{1,3}\. |[-*•] )/.exec(line)?.[0]
      const hang = bullet ? ' '.repeat(bullet.length) : indent
      return wrapParagraph(line.slice(indent.length), width, indent, hang)
    })
    .join('\n')
}

/**
 * The width to wrap text output to: `--width` when given; else a terminal's own width; else `COLUMNS`
 * (set by shells and CI systems when the output is piped); else 160.
 */
export function outputWidth(
  stream: {isTTY?: boolean; columns?: number},
  env: Record<string, string | undefined> = process.env,
  flag?: number,
): number {
  if (flag !== undefined) return flag
  if (stream.isTTY && stream.columns && stream.columns > 20) return stream.columns
  const columns = /^\d{1,4}$/.test(env.COLUMNS?.trim() ?? '') ? Number(env.COLUMNS) : NaN
  return columns >= 20 ? columns : 160
}
