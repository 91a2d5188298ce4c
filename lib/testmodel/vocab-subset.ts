// A consistent subset of a byte-level BPE vocabulary (Qwen2's): the 256 byte tokens, the special
// tokens asked for, the tokens a corpus uses, and every intermediate token and merge that BPE
// applies on the way to them. Keeping exactly the merges applied makes the subset tokenize the
// corpus exactly as the full vocabulary does: at each step of BPE the full vocabulary picks the
// lowest-ranked merge available, that merge is kept, and the subset's available merges are a
// subset of the full ones, so the subset picks the same one. Other text still tokenizes (down
// to bytes at worst), just into more pieces than the full vocabulary would make.
// Used by the trained judge (lib/train): a vocabulary of ~500 tokens instead of 151,936 makes
// the output layer, nearly all of a tiny model's training cost, cheap.

export interface SubsetVocabulary {
  /** Kept token texts, in the order of their original ids. */
  tokens: string[];
  /** Token types of the kept tokens. */
  types: number[];
  /** Kept merges ("a b"), in their original rank order. */
  merges: string[];
  /** Original id -> subset id. */
  idOf: Map<number, number>;
}

/** Runs BPE on one pre-token (its byte-level text), recording each merge applied. */
export function bpeMerges(text: string, rank: Map<string, number>): { pieces: string[]; applied: string[] } {
  let pieces = Array.from(text);
  const applied: string[] = [];
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < pieces.length; i++) {
      const r = rank.get(`${pieces[i]} ${pieces[i + 1]}`);
      if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
    }
    if (best < 0) return { pieces, applied };
    const [l, r] = [pieces[best], pieces[best + 1]];
    applied.push(`${l} ${r}`);
    const next: string[] = [];
    for (let i = 0; i < pieces.length; i++) {
      if (i + 1 < pieces.length && pieces[i] === l && pieces[i + 1] === r) { next.push(l + r); i++; }
      else next.push(pieces[i]);
    }
    pieces = next;
  }
}

/**
 * The subset that keeps `keepIds` (ids of the full vocabulary: the corpus's tokens as the full
 * tokenizer produced them, and the special tokens) plus the byte tokens and every intermediate.
 * A corpus token is re-derived by BPE on its own text: merges never cross the boundaries of the
 * final tokens, so the merges inside one token are those of BPE on that token alone.
 */
export function subsetVocabulary(tokens: readonly string[], types: readonly number[], merges: readonly string[], keepIds: Iterable<number>): SubsetVocabulary {
  const rank = new Map<string, number>();
  merges.forEach((m, i) => rank.set(m, i));
  const idOfText = new Map<string, number>();
  tokens.forEach((t, i) => { if (!idOfText.has(t)) idOfText.set(t, i); });
  const keep = new Set<number>();
  const keptMerges = new Set<string>();
  // Byte tokens: Qwen2's first 256 ids, one byte-level character each.
  for (let i = 0; i < 256; i++) {
    if (Array.from(tokens[i]).length !== 1) throw new Error(`token ${i} (${JSON.stringify(tokens[i])}) is not a byte token`);
    keep.add(i);
  }
  for (const id of keepIds) {
    keep.add(id);
    if (types[id] !== 1) continue; // special and user-defined tokens are matched whole, never merged
    const { pieces, applied } = bpeMerges(tokens[id], rank);
    if (pieces.length !== 1 || pieces[0] !== tokens[id]) throw new Error(`BPE does not rebuild token ${id} (${JSON.stringify(tokens[id])}) from its text`);
    for (const m of applied) {
      keptMerges.add(m);
      const [l, r] = m.split(" ");
      for (const t of [l, r, l + r]) {
        const tid = idOfText.get(t);
        if (tid === undefined) throw new Error(`merge ${JSON.stringify(m)} makes a token the vocabulary lacks`);
        keep.add(tid);
      }
    }
  }
  const ids = [...keep].sort((x, y) => x - y);
  const idOf = new Map<number, number>();
  ids.forEach((id, i) => idOf.set(id, i));
  return {
    tokens: ids.map((id) => tokens[id]),
    types: ids.map((id) => types[id]),
    merges: merges.filter((m) => keptMerges.has(m)),
    idOf,
  };
}
