// Untrusted JSON is walked recursively downstream (canonical key sorting for the idempotency hash, secret
// redaction, zod), and V8's JSON.parse itself accepts any depth. A 6 KB body of 3,000 nested arrays used to
// overflow the stack in the gateway's key sorting and answer 500. No FBR payload is deeper than 4 levels
// (invoice -> items -> item); every entry point that parses client JSON checks this bound first.

/** The deepest nesting of objects and arrays accepted from a client. Generous: FBR payloads need 4. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `text` nests objects/arrays deeper than `maxDepth`. One pass over the characters, no
 * recursion, brackets inside strings ignored; it does not validate the JSON (JSON.parse does that next).
 * @example
 * if (jsonNestingExceeds(body)) throw new Error(`nested deeper than ${MAX_JSON_DEPTH} levels`);
 * const value = JSON.parse(body);
 */
export function jsonNestingExceeds(text: string, maxDepth = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c /* \ */) index += 1;
      else if (code === 0x22 /* " */) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b /* { */ || code === 0x5b /* [ */) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      depth -= 1;
    }
  }
  return false;
}
