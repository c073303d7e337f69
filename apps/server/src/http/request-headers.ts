/** Request headers as Nest's `@Headers()` hands them over: repeated headers arrive as arrays. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** The first value of a header that may be repeated. */
export const firstHeader = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
