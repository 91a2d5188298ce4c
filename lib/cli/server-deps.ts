// The HTTP server's dependencies (fastify) are optional peers of rrm-engine: a library user or a
// desktop tool that never serves HTTP does not install them. `rrm serve` loads the server lazily
// and, when fastify is absent, says what to install instead of printing a module-resolution trace.
import type * as ServerApp from "../server/app.js";

/** The versions the server is tested with (package.json peerDependencies). */
export const SERVER_PACKAGES = "fastify@5.12.8 light-my-request@6.6.0";

export class MissingServerDependencies extends Error {
  constructor(missing: string) {
    super(`rrm serve needs the HTTP server package "${missing}", which is optional and not installed: run \`npm install ${SERVER_PACKAGES}\` in this project`);
    this.name = "MissingServerDependencies";
  }
}

export async function loadServerApp(): Promise<typeof ServerApp> {
  try {
    return await import("../server/app.js");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(err.message)?.[1];
    if ((err.code === "ERR_MODULE_NOT_FOUND" || err.code === "MODULE_NOT_FOUND") && missing && !missing.startsWith(".") && !missing.startsWith("/")) {
      throw new MissingServerDependencies(missing);
    }
    throw e;
  }
}
