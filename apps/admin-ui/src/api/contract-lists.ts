/**
 * The API's lists (release statuses, change kinds, skip reasons, roles) are `as const` arrays in the
 * libraries' contracts, which the UI imports type-only so that no library code reaches the bundle.
 * Where the UI needs one at run time it writes it as a record over the contract's union, so the
 * compiler rejects a member that is missing or unknown, and takes the record's keys in its order.
 */
export function membersOf<K extends string>(record: Record<K, unknown>): K[] {
  return Object.keys(record) as K[];
}
