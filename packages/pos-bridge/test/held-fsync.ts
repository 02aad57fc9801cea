// An fsync for the journal's group-commit tests: each one waits until the test releases (or fails) it.
import { EventEmitter, once } from "node:events";
import type { FsyncFile } from "../src/journal/journal.ts";

/** An fsync the test releases by hand; emits "fsync" as each one starts. */
export class HeldFsync extends EventEmitter<{ fsync: [] }> {
  readonly #held: { resolve: () => void; reject: (error: Error) => void }[] = [];
  started = 0;
  readonly fsync: FsyncFile = () =>
    new Promise<void>((resolve, reject) => {
      this.started += 1;
      this.#held.push({ resolve, reject });
      this.emit("fsync");
    });
  get waiting(): number {
    return this.#held.length;
  }
  /** Resolves once `count` fsyncs have started in all (at once if they have). */
  async startedAtLeast(count: number): Promise<void> {
    while (this.started < count) await once(this, "fsync");
  }
  release(): void {
    const next = this.#held.shift();
    if (next === undefined) throw new Error("no fsync is waiting");
    next.resolve();
  }
  fail(error: Error): void {
    const next = this.#held.shift();
    if (next === undefined) throw new Error("no fsync is waiting");
    next.reject(error);
  }
}
