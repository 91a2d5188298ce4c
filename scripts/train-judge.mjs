// Trains the arithmetic judge from scratch (issue 32; the model card: models/arithmetic-judge.md)
// and ships it as models/arithmetic-judge-q8_0.gguf.gz. Not part of npm install or CI.
//   node scripts/train-judge.mjs            the shipped recipe (about 3 h 15 min on 2 cores)
//   ... --quick                             a smoke run: 96 packed + 32 whole + 96 digit-check judgments, nothing shipped
//   ... --packed N --whole M                judgments of phase 1 (packed) and phase 2 (whole): 32,000, 3,000
//   ... --digits K --digit-passes P         then P passes over K new judgments with the digit check: 15,000, 3
//   ... --dir D --seed S --trainer PATH     where to work, the data seed, a built rrm-train-judge
//   ... --pid-file F                        write the trainer's pid (SIGSTOP/SIGCONT are fine)
//   ... --resume                            go on from D's last phase and checkpoint (AdamW restarts)
// The recipe: loss on the judgment only (the prompt and the forced text of budget-cut judgments
// masked: native/train/train_judge.cpp), AdamW, one window per step. Phase 1: one pass over 32,000
// judgments packed 3 to a 512-token window without their system prompt (the same 314 tokens in
// every judgment: packing without them triples the judgments a second), each seeing only itself,
// and a whole judgment after every 3 packed windows, peak 1e-3 (200 warmup steps, cosine to 1e-4).
// Phase 2: one pass over 3,000 whole judgments, one a window, as the judge reads them in use, peak
// 3e-4 (cosine to 3e-5). Phases 1-2 write the short check ("Assistant 1: 85, right."). Phases
// 3-5: three passes, each over 15,000 new judgments whose check goes digit by digit ("Assistant 1:
// 85, 8:8= 5:5= right."), packed as in phase 1 into 768-token windows, each with 100 warmup steps
// to a peak of 5e-4 and a cosine to 5e-5. It rests on five changes to llama.cpp's training path
// (patches/0016: each step's gradient was the sum of every gradient so far; 0017: a masked row's
// cross-entropy gradient was wrong; 0018: attn_k and attn_v never trained; 0019: a label that
// masks a position; 0020: packed examples apart). The model card keeps what earlier runs measured.
// Steps: the trainer (node scripts/build-native.mjs --static --tools builds it), lib/train/
// prepare.ts (vocabulary subset, initial F32 model, every phase's data), the native trainer under
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
// Phases 3, 4, ...: the digit-by-digit check (lib/train/arithmetic.ts CheckStyle "digits"),
// DIGIT_PASSES passes (--digit-passes), each over DIGITS new judgments (--digits; pass k's data
// from seed + k) packed as in phase 1, each with its own warmup and cosine, from the last
// checkpoint. Phases 1-2 read the short check ("Assistant 1: 85, right."): the model learned to
// compute and to copy the answers but its marks did not follow its result; the digit marks are
// what these passes teach. DIGITS_WHOLE whole judgments are drawn beside each pass's (their draws
// fix the rest of the data's) and not read; every pass is evaluated on pass 1's held-out set.
const DIGITS = Number(opt("--digits", quick ? "96" : "15000"));
const DIGIT_PASSES = Number(opt("--digit-passes", quick ? "1" : "3"));
const DIGITS_WHOLE = quick ? 32 : 1000;
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
  const prepare = (...args) => {
    const out = execFileSync("nice", ["-n", "19", process.execPath, "--import", "tsx", join(root, "lib", "train", "prepare-main.ts"), ...args.map(String)], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    return JSON.parse(out.trim().split("\n").pop());
  };
  prep = prepare(dir, seed, WHOLE, 64, 0.15, PACKED, "short");
  // The digit passes' data, tokenized by the same vocabulary (the initial model's).
  prep.digits = Array.from({ length: DIGIT_PASSES }, (_, k) => prepare(join(dir, `digits-${k + 1}`), seed + k + 1, DIGITS_WHOLE, 64, 0.15, DIGITS, "digits", prep.model));
  writeFileSync(join(dir, "prepared.json"), JSON.stringify(prep));
}
const W = prep.packedWindows;
log(`vocabulary ${prep.vocab} tokens: phase 1 ${W} windows of ${prep.nCtx} tokens (${PACKED} judgments packed, a whole one after every 3 windows), phase 2 ${WHOLE} whole judgments, then ${prep.digits.length} passes of ${DIGITS} judgments with the digit check (${prep.digits.map((d) => d.packedWindows).join(", ")} windows of ${prep.digits[0]?.nCtx} tokens)`);
const PHASES = [
  undefined,
  { data: prep.packed, eval: prep.eval, lr: "1e-3", lrMin: "1e-4", warmup: quick ? 8 : 200, from: 0, to: W },
  { data: prep.train, eval: prep.eval, lr: "3e-4", lrMin: "3e-5", warmup: quick ? 8 : 100, from: W, to: W + WHOLE },
];
for (const d of prep.digits) {
  const from = PHASES[PHASES.length - 1].to;
  PHASES.push({ data: d.packed, eval: prep.digits[0].eval, lr: "5e-4", lrMin: "5e-5", warmup: quick ? 8 : 100, from, to: from + d.packedWindows });
}

/** Runs one phase from `start` (its first step, or where a resumed one stopped). */
async function train(phase, model, start) {
  const p = PHASES[phase];
  const args = ["-n", "19", trainer, "train", "--model", model, "--data", p.data, "--eval", p.eval, "--out", dir,
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
for (let phase = 1; phase < PHASES.length; phase++) {
  if (phaseDone >= phase) continue;
  const p = PHASES[phase];
  // Every phase after the first, and a resumed run, go on from the last checkpoint (AdamW's moments start over).
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
