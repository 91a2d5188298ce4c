// Trains the arithmetic judge from scratch (issue 32; the model card: models/arithmetic-judge.md)
// and ships it as models/arithmetic-judge-q8_0.gguf.gz. Not part of npm install or CI.
//   node scripts/train-judge.mjs                    the shipped recipe (8,000 steps: about 1.5 h on 2 shared cores)
//   ... --steps N --seed S --lr X --dir D           a variant (--steps 32: a smoke run of a minute)
//   ... --resume                                    go on from D/last.gguf (AdamW restarts)
//   ... --trainer PATH                              a built rrm-train-judge (default: build*/bin/)
//   ... --pid-file F                                write the trainer's pid (SIGSTOP/SIGCONT are fine)
//   ... --no-ship                                   leave models/ alone
// Steps: the trainer (built with the tools: node scripts/build-native.mjs --static --tools), then
// lib/train/prepare.ts (vocabulary subset, initial F32 model, sequences), the native trainer
// under nice, Q8_0 quantization, gzip. Prints its wall time.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def; };
const steps = Number(opt("--steps", "8000"));
const seed = Number(opt("--seed", "1"));
const lr = opt("--lr", "1.5e-3");
const dir = resolve(opt("--dir", join(root, ".scratch", "train-judge")));
const resume = argv.includes("--resume");
const ship = !argv.includes("--no-ship") && !opt("--steps");
const t0 = Date.now();
const log = (s) => console.log(`[train-judge ${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`);

function findTrainer() {
  const given = opt("--trainer", process.env.RRM_TRAINER);
  if (given) return resolve(given);
  for (const b of ["build-dev", "build", "build-train"]) {
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
if (resume) {
  prep = JSON.parse(readFileSync(join(dir, "prepared.json"), "utf8"));
} else {
  log(`preparing ${steps} sequences (seed ${seed}) in ${dir}`);
  const out = execFileSync("nice", ["-n", "19", process.execPath, "--import", "tsx", join(root, "lib", "train", "prepare-main.ts"), dir, String(seed), String(steps), "64", "0.15"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  prep = JSON.parse(out.trim().split("\n").pop());
  writeFileSync(join(dir, "prepared.json"), JSON.stringify(prep));
}
log(`vocabulary ${prep.vocab} tokens, sequences of ${prep.nCtx} tokens`);

const start = resume ? Number(readFileSync(join(dir, "last.step"), "utf8")) : 0;
const args = ["-n", "19", trainer, "train", "--model", resume ? join(dir, "last.gguf") : prep.model, "--data", prep.train, "--eval", prep.eval,
  "--out", dir, "--steps", String(steps - start), "--start", String(start), "--total", String(steps), "--lr", lr, "--lr-min", "1e-4",
  "--warmup", String(Math.min(300, Math.ceil(steps / 10))), "--ckpt-every", String(Math.min(1000, steps)), "--chunk", "16", "--threads", "2"];
log(`training: nice ${args.join(" ")}`);
const child = spawn("nice", args, { stdio: ["ignore", "inherit", "pipe"] });
if (opt("--pid-file")) writeFileSync(opt("--pid-file"), `${child.pid}\n`);
// llama.cpp's load log is long; keep the trainer's own lines.
child.stderr.on("data", (b) => { for (const l of String(b).split("\n")) if (/^(train|step|cannot|usage)|failed|error/i.test(l)) console.log(l); });
const code = await new Promise((res) => child.on("close", res));
if (code !== 0) { log(`the trainer exited with ${code}`); process.exit(1); }

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
