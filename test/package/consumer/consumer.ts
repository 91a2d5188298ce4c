// A TypeScript consumer of the packed types, compiled strict with moduleResolution nodenext and
// bundler: the public API's names and shapes as a user's editor sees them.
import { createEngine, createJudge, loadModel, rankCandidates, RrmOptionError, type CompareResult, type EngineOptions, type RankResult } from "rrm-engine";

export async function judgeOnce(path: string): Promise<string> {
  const model = await loadModel(path);
  const options: EngineOptions = { contextSize: 4096, threads: 2 };
  const engine = createEngine(model, options);
  const judge = createJudge(engine);
  const r: CompareResult = await judge.compare({ query: "q", a: "a", b: "b" }, { votes: 2, swap: "alternate" });
  const ranked: RankResult = await rankCandidates(judge, "q", ["x", "y", "z"], { strategy: "knockout", votes: 1 });
  engine.dispose();
  model.dispose();
  const err: Error = new RrmOptionError("x");
  return `${r.winner ?? "none"} ${ranked.winner} ${err.name}`;
}
