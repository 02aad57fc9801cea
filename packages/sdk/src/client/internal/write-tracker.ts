// Did the transport write our request? fetch cannot say, but undici (Node's fetch, and the undici package)
// publishes on diagnostics_channel: "undici:request:create" when a request is queued and
// "undici:client:sendHeaders" immediately before its headers are written to the socket (HTTP/1.1 and
// HTTP/2 alike). Each attempt carries a random X-Raseed-Attempt header so its events can be told apart.
//
// Only positive evidence is reported: "never_written" needs the create event AND no sendHeaders event. A
// transport that publishes nothing (an injected fake, another library) reports "unknown", and the
// classifier then falls back to the error codes alone.
import { randomUUID } from "node:crypto";
import diagnosticsChannel from "node:diagnostics_channel";

export const ATTEMPT_HEADER = "x-raseed-attempt";

type AttemptState = { created: boolean; written: boolean };
const active = new Map<string, AttemptState>();
let subscribed = false;

/** Finds our attempt id in undici's request headers (an array of name/value pairs, or a raw string). */
function attemptIdOf(message: unknown): string | undefined {
  const request = (message as { request?: { headers?: unknown } } | undefined)?.request;
  const headers = request?.headers;
  if (Array.isArray(headers)) {
    for (let index = 0; index + 1 < headers.length; index += 2) {
      if (String(headers[index]).toLowerCase() === ATTEMPT_HEADER) return String(headers[index + 1]);
    }
    return undefined;
  }
  if (typeof headers === "string") {
    const match = new RegExp(`${ATTEMPT_HEADER}:\\s*([^\\r\\n]+)`, "i").exec(headers);
    return match?.[1]?.trim();
  }
  return undefined;
}

function onCreate(message: unknown): void {
  const id = attemptIdOf(message);
  const state = id === undefined ? undefined : active.get(id);
  if (state !== undefined) state.created = true;
}

function onSendHeaders(message: unknown): void {
  const id = attemptIdOf(message);
  const state = id === undefined ? undefined : active.get(id);
  if (state !== undefined) state.written = true;
}

function subscribe(): void {
  if (subscribed) return;
  diagnosticsChannel.subscribe("undici:request:create", onCreate);
  diagnosticsChannel.subscribe("undici:client:sendHeaders", onSendHeaders);
  subscribed = true;
}

export interface WriteTracking {
  /** The value of the X-Raseed-Attempt header to send. */
  readonly id: string;
  /** What undici told us so far. */
  verdict(): "written" | "never_written" | "unknown";
  /** Stops tracking (always call it, or the entry stays in memory). */
  end(): void;
}

export function trackRequestWrite(): WriteTracking {
  subscribe();
  const id = randomUUID();
  const state: AttemptState = { created: false, written: false };
  active.set(id, state);
  return {
    id,
    verdict: () => (state.written ? "written" : state.created ? "never_written" : "unknown"),
    end: () => {
      active.delete(id);
    },
  };
}
