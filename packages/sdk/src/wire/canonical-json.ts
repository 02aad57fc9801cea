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
 * that are undefined are left out; non-finite numbers are null). Nothing nested deeper than
 * FAST_DEPTH levels is walked by recursion, so client input nested thousands of levels deep cannot overflow
 * the call stack.
 * @example canonicalJson({ b: 1, a: [true, { d: null, c: "x" }] }) // '{"a":[true,{"c":"x","d":null}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  // Fast path (issue 11: the request hash was ~5% of the gateway's CPU under ingest load): a copy with its
  // keys inserted in sorted order, written by V8's own JSON.stringify. Values it cannot copy faithfully
  // (see sortedCopy) take the explicit-stack walk below, which defines the text.
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
  try {
    return JSON.stringify(sortedCopy(value, 0));
  } catch (error) {
    if (error !== NOT_COPYABLE) throw error;
    return canonicalJsonByStack(value);
  }
}

/** Nesting the fast path copies by recursion; anything deeper goes to canonicalJsonByStack. */
const FAST_DEPTH = 100;
const NOT_COPYABLE = new Error("canonicalJson: not copyable");

/**
 * The sorted key lists of recently seen key lists, one per key count: an ERP sends the same shape every
 * time (one header, N lines alike), so most objects skip the sort. Only small shapes are kept.
 */
const shapes = new Map<number, { keys: string[]; sorted: string[] }>();
const SHAPE_KEYS_MAX = 64;

function sortedKeysOf(record: object): string[] {
  const keys = Object.keys(record);
  const cached = shapes.get(keys.length);
  if (cached !== undefined) {
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== cached.keys[i]) {
        same = false;
        break;
      }
    }
    if (same) return cached.sorted;
  }
  const sorted = [...keys].sort();
  if (keys.length <= SHAPE_KEYS_MAX) shapes.set(keys.length, { keys, sorted });
  return sorted;
}

/**
 * A plain copy whose objects enumerate their keys in sorted order, so JSON.stringify writes the canonical
 * text. Throws NOT_COPYABLE where a copy would be written differently: a key that is an array index (an
 * object enumerates those first, in numeric order), `__proto__` (assigning it sets the prototype), an array
 * hole, or nesting deeper than FAST_DEPTH. Members JSON.stringify would call (functions: `toJSON`) or
 * leave out are left out.
 */
function sortedCopy(value: object, depth: number): unknown {
  if (depth > FAST_DEPTH) throw NOT_COPYABLE;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (element === undefined && !(i in value)) throw NOT_COPYABLE;
      out[i] = typeof element === "object" && element !== null ? sortedCopy(element, depth + 1) : element;
    }
    return out;
  }
  const record = value as Record<string, unknown>;
  const keys = sortedKeysOf(record);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57) || key === "__proto__") throw NOT_COPYABLE;
    const member = record[key];
    if (isUnwritable(member)) continue;
    out[key] = typeof member === "object" && member !== null ? sortedCopy(member, depth + 1) : member;
  }
  return out;
}

/** The walk that defines the text, with an explicit stack: any depth, any key. */
function canonicalJsonByStack(value: unknown): string {
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
