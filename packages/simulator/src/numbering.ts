// FBR number shapes (FBR-SPEC §7): DI `<NTN>DI<epoch ms>` (7000007DI1747119701593), item numbers
// `<invoiceNumber>-<itemSNo>`, `dated` as "yyyy-MM-dd HH:mm:ss" in Pakistan time (UTC+5, no DST).

const PAKISTAN_OFFSET_MS = 5 * 60 * 60 * 1000;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** "yyyy-MM-dd HH:mm:ss" in PKT: 1747119701593 → "2025-05-13 12:01:41". */
export function formatPakistanDateTime(epochMs: number): string {
  const pkt = new Date(epochMs + PAKISTAN_OFFSET_MS);
  return (
    `${pkt.getUTCFullYear()}-${pad(pkt.getUTCMonth() + 1)}-${pad(pkt.getUTCDate())} ` +
    `${pad(pkt.getUTCHours())}:${pad(pkt.getUTCMinutes())}:${pad(pkt.getUTCSeconds())}`
  );
}

/** "yyyyMMdd" in PKT, for IMS fiscal numbers. */
function pakistanDateDigits(epochMs: number): string {
  const pkt = new Date(epochMs + PAKISTAN_OFFSET_MS);
  return `${pkt.getUTCFullYear()}${pad(pkt.getUTCMonth() + 1)}${pad(pkt.getUTCDate())}`;
}

/** Issues FBR numbers; one instance per simulator so numbers never repeat within a run. */
export class FbrNumberIssuer {
  private lastDiMillis = 0;
  private readonly lastImsByPos = new Map<string, { date: string; suffix: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  /**
   * `<NTN>DI<epoch ms>`. Two posts in the same millisecond would collide, so the millisecond part is
   * bumped past the last one issued: the number stays in FBR's shape and is unique.
   */
  nextDiInvoiceNumber(sellerNtn: string): { invoiceNumber: string; dated: string } {
    const now = this.clock();
    const millis = Math.max(now, this.lastDiMillis + 1);
    this.lastDiMillis = millis;
    return { invoiceNumber: `${sellerNtn}DI${millis}`, dated: formatPakistanDateTime(now) };
  }

  /**
   * IMS fiscal numbers are opaque (FBR-SPEC §7); the KB sample 11000120181112000369 reads as
   * POSID + yyyyMMdd + 6 digits, which the simulator follows. The 6 digits are tenths of a second since
   * midnight PKT (0-863999), bumped past the last one issued to the POS that day: numbers grow with the
   * clock, so a restarted simulator does not issue a number again (a counter from 000001 would).
   * The one limit: more than 10 numbers a second for one POS run ahead of the clock, and a restart
   * within that lead could meet them again; a till does not post that fast.
   */
  nextImsFiscalNumber(posId: string): string {
    const now = this.clock();
    const date = pakistanDateDigits(now);
    const pkt = new Date(now + PAKISTAN_OFFSET_MS);
    const tenths = Math.floor(
      (pkt.getUTCHours() * 3_600_000 +
        pkt.getUTCMinutes() * 60_000 +
        pkt.getUTCSeconds() * 1000 +
        pkt.getUTCMilliseconds()) /
        100,
    );
    const last = this.lastImsByPos.get(posId);
    const suffix = last && last.date === date ? Math.max(tenths, last.suffix + 1) : tenths;
    this.lastImsByPos.set(posId, { date, suffix });
    // Past 863999 (over 10 a second all day long) the suffix widens rather than repeat a number.
    return `${posId}${date}${pad(suffix, 6)}`;
  }
}

export function diItemNumber(invoiceNumber: string, itemSNo: number): string {
  return `${invoiceNumber}-${itemSNo}`;
}
