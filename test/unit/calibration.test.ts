// The measured unified/split crossover file: found when fresh, ignored when stale or broken.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const dir = mkdtempSync(join(tmpdir(), "rrm-calibration-"));
process.env.RRM_CACHE_DIR = dir;
const { calibrationFile, findCalibration, saveCalibration, shapeKey } = await import("../../lib/bench/calibration.js");

test("saved calibrations are found per device and shape, replaced on re-measure", () => {
  assert.is(findCalibration("gpu:H200", "3584x28x4"), undefined);
  saveCalibration({ device: "gpu:H200", shape: "3584x28x4", crossover: 32, measured: new Date().toISOString(), batches: [8, 16, 32] });
  saveCalibration({ device: "gpu:H200", shape: "896x24x2", crossover: null, measured: new Date().toISOString(), batches: [8] });
  assert.is(findCalibration("gpu:H200", "3584x28x4")?.crossover, 32);
  assert.is(findCalibration("gpu:H200", "896x24x2")?.crossover, null);
  saveCalibration({ device: "gpu:H200", shape: "3584x28x4", crossover: 64, measured: new Date().toISOString(), batches: [64] });
  assert.is(findCalibration("gpu:H200", "3584x28x4")?.crossover, 64);
  assert.is(findCalibration("gpu:A100", "3584x28x4"), undefined);
  assert.is(shapeKey({ embeddingSize: 3584, layers: 28, kvHeads: 4 }), "3584x28x4");
});

test("a stale or unreadable file falls back (undefined)", () => {
  const old = new Date(Date.now() - 400 * 24 * 3600 * 1000).toISOString();
  saveCalibration({ device: "cpu:x", shape: "1x1x1", crossover: 8, measured: old, batches: [8] });
  assert.is(findCalibration("cpu:x", "1x1x1"), undefined);
  writeFileSync(calibrationFile(), "{not json");
  assert.is(findCalibration("gpu:H200", "3584x28x4"), undefined);
});

test.run();
