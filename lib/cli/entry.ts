// Runs the CLI from source (bin/rrm.js uses it when dist/ is not built).
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
