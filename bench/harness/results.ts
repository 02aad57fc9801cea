// Every figure a run measures, kept with its baseline and ratio, printed as it is measured and written to
// bench/results.json at the end. The previous results.json is read first, so each line also shows what
// the last run measured for the same figure.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./proc.ts";

export interface Figure {
  /** Stable key, e.g. "ingest.sqlite.ratio". */
  key: string;
  label: string;
  value: number;
  unit: string;
  /** What the issue asks of it, in words (e.g. ">= 0.4"). */
  goal?: string;
  /** true when the goal is met, false when not, absent when there is no goal. */
  met?: boolean;
  /** When it was measured (set by Results.add). */
  at?: string;
}

interface ResultsFile {
  at: string;
  commit: string;
  quick: boolean;
  figures: Figure[];
}

/** A full run's figures (kept in git, so a run is compared with the last one); --quick runs write their own. */
export const resultsPath = (quick: boolean) =>
  join(repoRoot, "bench", quick ? "results-quick.json" : "results.json");

export class Results {
  readonly figures: Figure[] = [];
  private readonly previous = new Map<string, Figure>();

  constructor(readonly quick: boolean) {
    if (existsSync(resultsPath(quick))) {
      try {
        const last = JSON.parse(readFileSync(resultsPath(quick), "utf8")) as ResultsFile;
        for (const figure of last.figures) this.previous.set(figure.key, figure);
      } catch {
        // A damaged file is simply not compared against.
      }
    }
  }

  add(figure: Figure): void {
    this.figures.push({ ...figure, at: new Date().toISOString() });
    const last = this.previous.get(figure.key);
    const goal = figure.goal === undefined ? "" : ` [goal ${figure.goal}: ${figure.met ? "met" : "NOT met"}]`;
    const before = last === undefined ? "" : ` (last run ${format(last.value)})`;
    console.log(`  ${figure.label}: ${format(figure.value)} ${figure.unit}${goal}${before}`);
  }

  write(): void {
    let commit = "unknown";
    try {
      commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot }).toString().trim();
    } catch {
      // Not a git checkout.
    }
    // A run of some benches keeps the last figures of the others (each carries when it was measured).
    const measured = new Set(this.figures.map((figure) => figure.key));
    const kept = [...this.previous.values()].filter((figure) => !measured.has(figure.key));
    const file: ResultsFile = {
      at: new Date().toISOString(),
      commit,
      quick: this.quick,
      figures: [...kept, ...this.figures],
    };
    writeFileSync(resultsPath(this.quick), `${JSON.stringify(file, null, 2)}\n`);
    console.log(
      `\nwrote ${this.figures.length} figures (and kept ${kept.length} earlier ones) to ${resultsPath(this.quick)}`,
    );
  }
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Options every bench file receives. */
export interface BenchContext {
  quick: boolean;
  results: Results;
}

/**
 * The median of a few numbers (the middle one; the mean of the middle two): the benches run their servers in
 * interleaved rounds and report each figure as the median of its rounds (docs/performance.md).
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
