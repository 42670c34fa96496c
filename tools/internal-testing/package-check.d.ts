export interface PackageCheckResult {
  name: string;
  /** publint errors and warnings, formatted. Empty when the package is publishable as is. */
  problems: string[];
  /** The module namespace of every `exports` entry, imported from `dist`, by subpath. */
  modules: Record<string, Record<string, unknown>>;
}
export function checkPackage(packageDir: string): Promise<PackageCheckResult>;
