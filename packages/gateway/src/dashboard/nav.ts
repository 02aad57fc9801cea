// The dashboard's navigation, in one place: each page has an entry here; `permission` hides an entry from
// roles that cannot use it.
import type { Permission } from "./context.ts";

export interface NavEntry {
  href: string;
  label: string;
  permission?: Permission;
}

export const navEntries: NavEntry[] = [
  { href: "/", label: "Overview" },
  { href: "/invoices", label: "Invoices" },
  { href: "/incidents", label: "Incidents" },
  { href: "/issue", label: "Issue invoice", permission: "issue" },
  { href: "/import", label: "Import", permission: "issue" },
  { href: "/certification", label: "Certification" },
  { href: "/settings", label: "Settings", permission: "configure" },
];
