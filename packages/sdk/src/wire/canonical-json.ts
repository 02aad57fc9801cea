// Canonical JSON: the sdk's one copy. The gateway hashes request bodies and audit entries with it, the
// simulator counts identical payloads with it, and the POS bridge compares journaled sales with it, so
// "the same invoice" means the same thing in every package.

type Pending = { text: string } | { value: unknown };

/** JSON.stringify drops these as object members and writes them as null in arrays. */
function isUnwritable(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, as `Array.prototype.sort`) at every level, so equal
 * values give equal text whatever their key order. Otherwise exactly `JSON.stringify`'s output (members
 * that are undefined are left out; non-finite numbers are null). Walks the value with an explicit stack,
 * never by recursion, so client input nested thousands of levels deep cannot overflow the call stack.
 * @example canonicalJson({ b: 1, a: [true, { d: null, c: "x" }] }) // '{"a":[true,{"c":"x","d":null}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const stack: Pending[] = [{ value }];
  while (stack.length > 0) {
    const next = stack.pop() as Pending;
    if ("text" in next) {
      out.push(next.text);
      continue;
    }
    const current = next.value;
    if (isUnwritable(current)) {
      out.push("null");
    } else if (Array.isArray(current)) {
      const parts: Pending[] = [{ text: "[" }];
      current.forEach((element, index) => {
        if (index > 0) parts.push({ text: "," });
        parts.push({ value: element });
      });
      parts.push({ text: "]" });
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i] as Pending);
    } else if (current !== null && typeof current === "object") {
      const record = current as Record<string, unknown>;
      const parts: Pending[] = [{ text: "{" }];
      for (const key of Object.keys(record).sort()) {
        const member = record[key];
        if (isUnwritable(member)) continue;
        if (parts.length > 1) parts.push({ text: "," });
        parts.push({ text: `${JSON.stringify(key)}:` }, { value: member });
      }
      parts.push({ text: "}" });
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i] as Pending);
    } else {
      out.push(JSON.stringify(current));
    }
  }
  return out.join("");
}
