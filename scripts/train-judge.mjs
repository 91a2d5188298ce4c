// Trains the arithmetic judge from scratch (issue 32; the model card: models/arithmetic-judge.md)
// and ships it as models/arithmetic-judge-q8_0.gguf.gz. Not part of npm install or CI.
//   node scripts/train-judge.mjs            the shipped recipe (about 75 minutes on 2 cores)
//   ... --quick                             a smoke run: 96 packed + 32 whole judgments, nothing shipped
//   ... --packed N --whole M                judgments of phase 1 (packed) and phase 2 (whole): 32,000, 3,000
//   ... --dir D --seed S --trainer PATH     where to work, the data seed, a built rrm-train-judge
//   ... --pid-file F                        write the trainer's pid (SIGSTOP/SIGCONT are fine)
//   ... --resume                            go on from D's last phase and checkpoint (AdamW restarts)
// The recipe: loss on the judgment only (the prompt and the forced text of budget-cut judgments
// masked: native/train/train_judge.cpp), AdamW, one 512-token window per step. Phase 1: one pass
// over 32,000 judgments packed 3 to a window without their system prompt (the same 314 tokens in
// every judgment: packing without them triples the judgments a second), each seeing only itself,
// and a whole judgment after every 3 packed windows, peak 1e-3 (200 warmup steps, cosine to 1e-4).
// Phase 2: one pass over 3,000 whole judgments, one a window, as the judge reads them in use, peak
// 3e-4 (cosine to 3e-5). It rests on five changes to llama.cpp's training path (patches/0016:
// each step's gradient was the sum of every gradient so far; 0017: a masked row's cross-entropy
// gradient was wrong; 0018: attn_k and attn_v never trained; 0019: a label that masks a position;
// 0020: packed examples apart). The model card keeps what the runs before them measured.
// Steps: the trainer (node scripts/build-native.mjs --static --tools builds it), lib/train/
// prepare.ts (vocabulary subset, initial F32 model, both phases' data), the native trainer under
// nice, Q8_0 quantization, the shipped header (finish-model.ts), gzip. Prints its wall time.
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def; };
const quick = argv.includes("--quick");
const seed = Number(opt("--seed", "1"));
const dir = resolve(opt("--dir", join(root, ".scratch", quick ? "train-judge-quick" : "train-judge")));
const resume = argv.includes("--resume");
const ship = !quick && !argv.includes("--no-ship");
// Phase 1: one pass over PACKED judgments (--packed), packed without their system prompt, 3 in a
// 512-token window (lib/train/dataset.ts packWindows: 3x the judgments a second), with a whole
// judgment after every 3 windows (lib/train/prepare.ts WHOLE_EVERY). Phase 2: one
// pass over WHOLE judgments (--whole), one a window with the system prompt, as the judge sees them in
// use, from phase 1's last checkpoint at a lower peak (AdamW's moments start over: a short warmup).
const PACKED = Number(opt("--packed", quick ? "96" : "32000"));
const WHOLE = Number(opt("--whole", quick ? "32" : "3000"));
const t0 = Date.now();
const log = (s) => console.log(`[train-judge ${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`);

function findTrainer() {
  const given = opt("--trainer", process.env.RRM_TRAINER);
  if (given) return resolve(given);
  // Static builds only (OpenMP): the portable build's own thread pool spends most of a training
  // step waiting at barriers between the graph's many small ops (measured 8x slower: 250 against
  // 1,900 positions/s on 2 cores).
  for (const b of ["build-dev", "build-train"]) {
    const p = join(root, b, "bin", "rrm-train-judge");
    if (existsSync(p)) return p;
  }
  log("building the trainer: node scripts/build-native.mjs --static --tools --out build-train (minutes)");
  execFileSync("nice", ["-n", "19", process.execPath, join(root, "scripts", "build-native.mjs"), "--static", "--tools", "--out", join(root, "build-train")], { stdio: "inherit" });
  return join(root, "build-train", "bin", "rrm-train-judge");
}

const trainer = findTrainer();
mkdirSync(dir, { recursive: true });
let prep;
if (resume && existsSync(join(dir, "prepared.json"))) {
  prep = JSON.parse(readFileSync(join(dir, "prepared.json"), "utf8"));
} else {
  log(`preparing the data (seed ${seed}) in ${dir}`);
  const out = execFileSync("nice", ["-n", "19", process.execPath, "--import", "tsx", join(root, "lib", "train", "prepare-main.ts"), dir, String(seed), String(WHOLE), "64", "0.15", String(PACKED)], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  prep = JSON.parse(out.trim().split("\n").pop());
  writeFileSync(join(dir, "prepared.json"), JSON.stringify(prep));
}
const W = prep.packedWindows;
log(`vocabulary ${prep.vocab} tokens, windows of ${prep.nCtx} tokens: phase 1 ${W} windows (${PACKED} judgments packed, a whole one after every 3 windows), phase 2 ${WHOLE} whole judgments`);
const PHASES = [
  undefined,
  { data: prep.packed, lr: "1e-3", lrMin: "1e-4", warmup: quick ? 8 : 200, from: 0, to: W },
  { data: prep.train, lr: "3e-4", lrMin: "3e-5", warmup: quick ? 8 : 100, from: W, to: W + WHOLE },
];

/** Runs one phase from `start` (its first step, or where a resumed one stopped). */
async function train(phase, model, start) {
  const p = PHASES[phase];
  const args = ["-n", "19", trainer, "train", "--model", model, "--data", p.data, "--eval", prep.eval, "--out", dir,
    "--steps", String(p.to - start), "--start", String(start), "--total", String(p.to), "--lr", p.lr, "--lr-min", p.lrMin,
    "--warmup", String(p.warmup), "--sched-start", String(p.from), "--data-start", "0",
    "--ckpt-every", quick ? "32" : "500", "--chunk", "16", "--threads", "2"];
  log(`phase ${phase}: nice ${args.join(" ")}`);
  const child = spawn("nice", args, { stdio: ["ignore", "inherit", "pipe"] });
  if (opt("--pid-file")) writeFileSync(opt("--pid-file"), `${child.pid}\n`);
  // llama.cpp's load log is long: it goes to a file; the trainer's own lines are shown.
  const raw = createWriteStream(join(dir, `trainer-phase${phase}.log`), { flags: "a" });
  child.stderr.on("data", (b) => { raw.write(b); for (const l of String(b).split("\n")) if (/^(train|step|cannot|usage)|failed|error/i.test(l)) console.log(`[phase ${phase}] ${l}`); });
  const code = await new Promise((res) => child.on("close", (c, sig) => res(c ?? sig)));
  if (code !== 0) { log(`the trainer exited with ${code} (${join(dir, `trainer-phase${phase}.log`)})`); process.exit(1); }
  writeFileSync(join(dir, "phase"), `${phase}\n`);
}

const phaseDone = resume && existsSync(join(dir, "phase")) ? Number(readFileSync(join(dir, "phase"), "utf8")) : 0;
const lastStep = () => (existsSync(join(dir, "last.step")) ? Number(readFileSync(join(dir, "last.step"), "utf8")) : 0);
for (const phase of [1, 2]) {
  if (phaseDone >= phase) continue;
  const p = PHASES[phase];
  // Phase 2, and a resumed run, go on from the last checkpoint (AdamW's moments start over).
  const start = resume ? Math.max(p.from, lastStep()) : p.from;
  await train(phase, start > 0 ? join(dir, "last.gguf") : prep.model, start);
}

const q8raw = join(dir, "last-q8_0.gguf"), q8 = join(dir, "arithmetic-judge-q8_0.gguf");
execFileSync(trainer, ["quantize", join(dir, "last.gguf"), q8raw, "--ctx", "4096"], { stdio: "ignore" });
// The checkpoint's header lacks the chat template: the tensors go under the initial model's keys.
execFileSync(process.execPath, ["--import", "tsx", join(root, "lib", "train", "finish-model.ts"), prep.model, q8raw, q8], { cwd: root, stdio: "inherit" });
log(`quantized: ${q8}`);
if (ship) {
  const gz = join(root, "models", "arithmetic-judge-q8_0.gguf.gz");
  mkdirSync(dirname(gz), { recursive: true });
  writeFileSync(gz, gzipSync(readFileSync(q8), { level: 9 }));
  log(`shipped: ${gz}`);
}
log(`done in ${((Date.now() - t0) / 60000).toFixed(1)} min wall time`);
