// Worker entry that can run TypeScript: registers tsx, then imports workerData.entry.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
