// The launch log (SQLite): a line when an attempt is recorded (in its claim's transaction, before the commit)
// and a line just before its post starts, written and never synced. A process killed leaves what it wrote in the kernel's
// page cache, so the next process on the same boot reads what the dead one did: an attempt it recorded and
// never launched was never posted, and recovery puts it back on the queue instead of in_doubt (sdk
// nextStepAfterCrash). That is what makes attempts recorded ahead of a free slot (workerPrefetch) cost nothing
// in doubt when a process is killed.
//
// Only proof of "never posted" is taken from it, and only when it is whole: after a reboot (power lost, the
// kernel crashed: another boot id) an unsynced log may have lost lines, so it proves nothing and every open
// attempt is in doubt, as without a log; so do no log, an unreadable one, or a system without a boot id. An
// attempt the log does not hold as recorded (another process's, or one whose line was lost) is in doubt too.
// A launch line is written whole before the post starts, so a line cut short (a kill, a full disk) was for a
// post that never started; each line begins with its newline, so a line cut short never swallows the next.
// Starting the log afresh (`restart`) only ever drops proofs.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";

const BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id";
const HEADER = "raseed-launch-log 1 boot";

/** This boot's id (Linux), or undefined where the system has none. */
export function currentBootId(): string | undefined {
  try {
    const id = readFileSync(BOOT_ID_FILE, "utf8").trim();
    return id === "" ? undefined : id;
  } catch {
    return undefined;
  }
}

/**
 * The attempts a previous process on this boot recorded and never launched, or undefined when its log
 * proves nothing (missing, unreadable, another boot, no boot id).
 */
export function readNeverLaunched(path: string, bootId: string | undefined): ReadonlySet<string> | undefined {
  if (bootId === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const [header, ...lines] = text.split("\n");
  if (header !== `${HEADER} ${bootId}`) return undefined;
  const recorded = new Set<string>();
  const launched = new Set<string>();
  for (const line of lines) {
    if (line.startsWith("r ")) recorded.add(line.slice(2));
    else if (line.startsWith("l ")) launched.add(line.slice(2));
  }
  for (const id of launched) recorded.delete(id);
  return recorded;
}

/** This process's log: emptied at creation (read the last one first: `readNeverLaunched`). */
export class LaunchLog {
  readonly #fd: number;
  readonly #header: string;
  #bytes: number;

  private constructor(fd: number, header: string) {
    this.#fd = fd;
    this.#header = header;
    this.#bytes = Buffer.byteLength(header);
  }

  /** Starts this process's log at `path`; throws when it cannot be written. */
  static create(path: string, bootId: string): LaunchLog {
    const header = `${HEADER} ${bootId}`;
    // Appending: every line lands at the end, whatever a restart did to the file's length.
    const fd = openSync(path, "a", 0o600);
    try {
      ftruncateSync(fd, 0);
      writeSync(fd, header);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new LaunchLog(fd, header);
  }

  /** Bytes written since the log was (re)started. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Notes attempts being recorded (before their claim commits). A failure only loses their proof. */
  recorded(attemptIds: readonly string[]): void {
    if (attemptIds.length > 0) this.#write(attemptIds.map((id) => `\nr ${id}`).join(""));
  }

  /** Notes a launch; throws when the line could not be written whole, and then the post must not start. */
  launched(attemptId: string): void {
    this.#write(`\nl ${attemptId}`);
  }

  /** Starts the log afresh: the attempts it held lose their proof (in doubt if a kill follows). */
  restart(): void {
    ftruncateSync(this.#fd, 0);
    this.#bytes = 0;
    this.#write(this.#header);
  }

  close(): void {
    closeSync(this.#fd);
  }

  #write(text: string): void {
    const length = Buffer.byteLength(text);
    const written = writeSync(this.#fd, text);
    this.#bytes += written;
    if (written !== length) throw new Error("launch log: a short write");
  }
}
