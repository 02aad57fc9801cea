// FBR number shapes (FBR-SPEC §7): DI `<NTN>DI<epoch ms>` (7000007DI1747119701593), item numbers
// `<invoiceNumber>-<itemSNo>`, `dated` as "yyyy-MM-dd HH:mm:ss" in Pakistan time (UTC+5, no DST).

// Pakistan time is the sdk's (one copy for every package).
import { pakistanDate, pakistanDateTime, pakistanMillisOfDay } from "@raseed/sdk";

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** "yyyyMMdd" in PKT, for IMS fiscal numbers. */
function pakistanDateDigits(epochMs: number): string {
  return pakistanDate(epochMs).replace(/-/g, "");
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
    return { invoiceNumber: `${sellerNtn}DI${millis}`, dated: pakistanDateTime(now) };
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
    const tenths = Math.floor(pakistanMillisOfDay(now) / 100);
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
