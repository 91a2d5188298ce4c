// node-llama-cpp 3.21.1, the peer a Node user picks today (bench/setup-peer.sh installs it).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../peer/node_modules/node-llama-cpp/dist/index.js", import.meta.url);

export async function loadPeer(): Promise<any | undefined> {
  if (!existsSync(fileURLToPath(entry))) return undefined;
  return import(entry.href);
}

/**
 * `sequences` sequences of one context each evaluate `prompt` (node-llama-cpp has no
 * prompt sharing between sequences) and sample `gen` tokens; node-llama-cpp batches them.
 */
export async function peerGenerate(ctx: any, prompt: number[], sequences: number, gen: number, seed: number): Promise<number> {
  // Sequences are taken once per context and cleared between uses (a disposed sequence's slot
  // does not come back to the pool at once).
  const seqs: any[] = (ctx.__rrmSequences ??= Array.from({ length: sequences }, () => ctx.getSequence()));
  let total = 0;
  await Promise.all(seqs.slice(0, sequences).map(async (s: any, i: number) => {
    await s.clearHistory();
    let n = 0;
    for await (const _ of s.evaluate(prompt, { temperature: 0.6, seed: seed + i })) {
      total++;
      if (++n >= gen) break;
    }
  }));
  return total;
}
