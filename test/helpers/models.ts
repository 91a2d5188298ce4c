// Test models, generated once and cached outside the repo (RRM_MODEL_CACHE or ~/.cache).
import { makeTestModel, type MakeModelOptions } from "../../lib/testmodel/make-model.js";

export const tinyModel = (o: MakeModelOptions = {}) => makeTestModel({ shape: "tiny", type: "q8_0", vocabulary: "qwen2", ...o });
export const tinyRrmModel = (o: MakeModelOptions = {}) => makeTestModel({ shape: "tiny", type: "q8_0", vocabulary: "rrm", ...o });
