// The dashboard's navigation, in one place. Pages added later (import, certification) append an entry here
// and extend templates/layout.eta; `permission` hides an entry from roles that cannot use it.
import type { Permission } from "./context.ts";

export interface NavEntry {
  href: string;
  label: string;
  permission?: Permission;
}

export const navEntries: NavEntry[] = [
  { href: "/", label: "Overview" },
  { href: "/invoices", label: "Invoices" },
  { href: "/issue", label: "Issue invoice", permission: "issue" },
  { href: "/settings", label: "Settings", permission: "configure" },
];
