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
  private readonly imsSequence = new Map<string, number>();

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
   * POSID + yyyyMMdd + a 6-digit sequence, which the simulator follows.
   */
  nextImsFiscalNumber(posId: string): string {
    const sequence = (this.imsSequence.get(posId) ?? 0) + 1;
    this.imsSequence.set(posId, sequence);
    return `${posId}${pakistanDateDigits(this.clock())}${pad(sequence, 6)}`;
  }
}

export function diItemNumber(invoiceNumber: string, itemSNo: number): string {
  return `${invoiceNumber}-${itemSNo}`;
}
