/**
 * Differences between two revisions: field by field (JSON pointers of the
 * content), and word by word inside a changed text.
 */

export type Piece = { kind: 'same' | 'added' | 'removed'; text: string };

/** Words and the spaces between them, so that joining the pieces gives the text back. */
function tokens(text: string): string[] {
  return text.match(/\s+|[^\s]+/g) ?? [];
}

/**
 * A word diff by longest common subsequence. Texts are short (stems and
 * options); past a few thousand words the whole text is shown as replaced.
 */
export function wordDiff(before: string, after: string): Piece[] {
  const a = tokens(before);
  const b = tokens(after);
  if (a.length * b.length > 4_000_000) return [{ kind: 'removed', text: before }, { kind: 'added', text: after }];
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const out: Piece[] = [];
  const push = (kind: Piece['kind'], text: string) => {
    const last = out[out.length - 1];
    if (last && last.kind === kind) last.text += text;
    else out.push({ kind, text });
  };
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      push('same', a[i]!);
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) push('removed', a[i++]!);
    else push('added', b[j++]!);
  }
  while (i < n) push('removed', a[i++]!);
  while (j < m) push('added', b[j++]!);
  return out;
}

export interface FieldChange {
  path: string;
  before: string | undefined;
  after: string | undefined;
}

/** The fields that differ between two flattened contents, in a readable order. */
export function fieldChanges(before: Map<string, string>, after: Map<string, string>): FieldChange[] {
  const paths = [...new Set([...before.keys(), ...after.keys()])];
  const order = (p: string) => p.split('/').map((s) => (/^\d+$/.test(s) ? s.padStart(4, '0') : s)).join('/');
  return paths
    .filter((p) => before.get(p) !== after.get(p))
    .sort((x, y) => (order(x) < order(y) ? -1 : order(x) > order(y) ? 1 : 0))
    .map((path) => ({ path, before: before.get(path), after: after.get(path) }));
}
