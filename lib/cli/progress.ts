// A one-line progress bar on stderr: items, votes, tokens/s. Redrawn in place on a terminal;
// elsewhere (logs, CI) a plain line every few seconds.
export class ProgressBar {
  #start = Date.now();
  #last = 0;
  #tty = Boolean(process.stderr.isTTY);
  #enabled: boolean;
  items = 0;
  votes = 0;
  tokens = 0;
  constructor(readonly label: string, readonly total: number | undefined, enabled = true) {
    this.#enabled = enabled;
  }
  update(force = false) {
    if (!this.#enabled) return;
    const now = Date.now();
    if (!force && now - this.#last < (this.#tty ? 100 : 5000)) return;
    this.#last = now;
    const secs = (now - this.#start) / 1000;
    const rate = secs > 0 ? Math.round(this.tokens / secs) : 0;
    const width = 24;
    const frac = this.total ? Math.min(1, this.items / this.total) : 0;
    const bar = this.total ? `[${"#".repeat(Math.round(frac * width)).padEnd(width, "-")}] ` : "";
    const line = `${this.label} ${bar}${this.items}${this.total ? "/" + this.total : ""} items | ${this.votes} votes | ${this.tokens} tokens | ${rate} tok/s | ${secs.toFixed(1)}s`;
    process.stderr.write(this.#tty ? `\r${line}\x1b[K` : line + "\n");
  }
  /** A per-item token counter: the item reports its running total, the bar adds the increase. */
  tokenCounter(): (runningTotal: number) => void {
    const c = this.itemCounter();
    return (total) => c(total, undefined);
  }
  /**
   * A per-item counter of generated tokens and finished votes, from running totals: votes count
   * as each one finishes, not when the whole item does (8k-token votes otherwise read "0 votes"
   * for minutes). A total that drops is a new call starting from 0 (an adaptive wave): what the
   * earlier one reached is kept. `final(votes)` sets the item's votes to its result's count.
   */
  itemCounter(): ((tokens: number, votes?: number) => void) & { final(votes: number): void } {
    const tokens = runningSum(), votes = runningSum();
    let countedTokens = 0, countedVotes = 0;
    const f = (t: number, v?: number) => {
      const nt = tokens(t);
      this.tokens += nt - countedTokens;
      countedTokens = nt;
      if (v !== undefined) {
        const nv = votes(v);
        this.votes += nv - countedVotes;
        countedVotes = nv;
      }
      this.update();
    };
    return Object.assign(f, {
      final: (v: number) => {
        this.votes += v - countedVotes;
        countedVotes = v;
      },
    });
  }
  done() {
    this.update(true);
    if (this.#enabled && this.#tty) process.stderr.write("\n");
  }
}

/** Running totals that may restart from 0 (a new call), summed over the restarts. */
function runningSum(): (total: number) => number {
  let banked = 0, last = 0;
  return (total) => {
    if (total < last) banked += last;
    last = total;
    return banked + total;
  };
}
