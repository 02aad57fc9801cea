// The overview's "accepted vs rejected per hour, last 7 days" chart as server-rendered SVG: no chart
// library, no script. Accepted rises above the axis, rejected hangs below it, so both read at a glance.
import type { HourlyOutcome } from "../invoices/invoice-reads.ts";

const HOURS = 7 * 24;
const WIDTH = 840;
const HALF = 70;
const TOP = 10;
const PKT_OFFSET_MS = 5 * 3_600_000;
/** Room a "12-07" date label needs after its tick, in viewBox units. */
const LABEL_ROOM = 45;

function hourKey(time: number): string {
  return new Date(time).toISOString().slice(0, 13);
}

/** SVG markup for the 168 hours ending with the hour of `now`. Only numbers go in: nothing to escape. */
export function hourlyOutcomeChart(points: readonly HourlyOutcome[], now: Date): string {
  const byHour = new Map(points.map((p) => [p.hour, p]));
  const lastHour = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  const firstHour = lastHour - (HOURS - 1) * 3_600_000;
  let max = 1;
  for (const p of points) max = Math.max(max, p.accepted, p.rejected);
  const barWidth = WIDTH / HOURS;
  const axis = TOP + HALF;
  const bars: string[] = [];
  const labels: string[] = [];
  let totalAccepted = 0;
  let totalRejected = 0;
  for (let i = 0; i < HOURS; i++) {
    const time = firstHour + i * 3_600_000;
    const point = byHour.get(hourKey(time));
    const x = (i * barWidth).toFixed(2);
    const w = Math.max(barWidth - 1, 1).toFixed(2);
    if (point !== undefined) {
      totalAccepted += point.accepted;
      totalRejected += point.rejected;
      const up = (point.accepted / max) * HALF;
      const down = (point.rejected / max) * HALF;
      if (point.accepted > 0)
        bars.push(
          `<rect class="bar-accepted" x="${x}" y="${(axis - up).toFixed(2)}" width="${w}" height="${up.toFixed(2)}"/>`,
        );
      if (point.rejected > 0)
        bars.push(
          `<rect class="bar-rejected" x="${x}" y="${axis}" width="${w}" height="${down.toFixed(2)}"/>`,
        );
    }
    // A tick and a date at each Pakistan midnight.
    const pktHour = new Date(time + PKT_OFFSET_MS).getUTCHours();
    if (pktHour === 0) {
      const day = new Date(time + PKT_OFFSET_MS).toISOString().slice(5, 10);
      labels.push(`<line class="tick" x1="${x}" x2="${x}" y1="${TOP}" y2="${axis + HALF}"/>`);
      // A date too near the right edge to fit after its tick is set before it, so it is never cut off.
      const tickX = i * barWidth;
      labels.push(
        tickX > WIDTH - LABEL_ROOM
          ? `<text x="${(tickX - 3).toFixed(2)}" y="${axis + HALF + 14}" text-anchor="end">${day}</text>`
          : `<text x="${(tickX + 3).toFixed(2)}" y="${axis + HALF + 14}">${day}</text>`,
      );
    }
  }
  const summary = `Last 7 days: ${totalAccepted} accepted, ${totalRejected} rejected; busiest hour ${max === 1 && totalAccepted + totalRejected === 0 ? 0 : max}`;
  return [
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${TOP + 2 * HALF + 20}" role="img" aria-label="${summary}" preserveAspectRatio="none">`,
    `<title>${summary}</title>`,
    ...labels,
    `<line class="axis" x1="0" x2="${WIDTH}" y1="${axis}" y2="${axis}"/>`,
    ...bars,
    "</svg>",
  ].join("");
}
