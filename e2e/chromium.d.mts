export const CHROMIUM_PATH: string;
export const CHROMIUM_ARGS: string[];
export function lanHostArgs(host: string): string[];
