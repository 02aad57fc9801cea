// `?wait=N` for submissions (DI and IMS): resolves when the invoice reaches a state a caller can act on,
// or when the wait runs out, whichever comes first.
import { settledStates } from "../invoices/lifecycle.ts";
import type { InvoiceRow } from "../store/schema.ts";
import type { AppDeps } from "./deps.ts";

export async function waitUntilSettled(
  deps: Pick<AppDeps, "events">,
  row: InvoiceRow,
  seconds: number,
  load: (tenantId: string, id: string) => Promise<InvoiceRow>,
): Promise<InvoiceRow> {
  if (seconds <= 0 || settledStates.has(row.state)) return row;
  const deadline = Date.now() + seconds * 1000;
  return new Promise<InvoiceRow>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(timeout);
      deps.events.off("invoice.state_changed", onChange);
      load(row.tenant_id, row.id).then(resolve, () => resolve(row));
    };
    const onChange = (change: { invoiceId: string; state: string }) => {
      if (change.invoiceId === row.id && settledStates.has(change.state as InvoiceRow["state"])) finish();
    };
    deps.events.on("invoice.state_changed", onChange);
    // Another instance may settle it (scale-out), so also look at the store now and then.
    const poll = setInterval(() => {
      load(row.tenant_id, row.id).then(
        (current) => {
          if (settledStates.has(current.state) || Date.now() >= deadline) finish();
        },
        () => finish(),
      );
    }, 500);
    const timeout = setTimeout(finish, Math.max(0, deadline - Date.now()));
  });
}
