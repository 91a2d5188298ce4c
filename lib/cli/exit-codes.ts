// The exit codes of `rrm` (README, "Exit codes and signals"), and the error that carries one.
// Numbers follow the shell's conventions where there is one: 2 for usage (as getopt tools),
// 128 + the signal's number for a run stopped by a signal, sysexits.h for I/O and "try later".
import { constants } from "node:os";

export const EXIT = {
  ok: 0,
  /** Some items failed (their records say why), or the run failed on an error of its own. */
  failed: 1,
  /** A flag or argument is wrong; nothing was loaded or written. */
  usage: 2,
  /** The output could not be written (a full disk, an I/O error): EX_IOERR. */
  outputError: 74,
  /** Another run holds the output file's lock: EX_TEMPFAIL, the same command works once it ends. */
  locked: 75,
} as const;

/** 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP, 141 for SIGPIPE. */
export const signalExit = (signal: NodeJS.Signals) => 128 + constants.signals[signal];

/** A wrong flag or argument: main() prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {}

/** A failure main() prints as one line (no stack, no help text) and exits with `exitCode`. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = "CliError";
  }
}
