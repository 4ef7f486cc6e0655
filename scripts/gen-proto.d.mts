/** Where the generated files go, relative to the repository root. */
export const OUT_DIR: string;
/** The first line of every generated file. */
export const HEADER: string;
/** Lints proto/ and returns every generated file: path relative to the repository root → contents. */
export function generate(): Promise<Record<string, string>>;
