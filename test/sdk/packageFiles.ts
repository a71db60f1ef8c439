import { lstat, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

/** Bytes of every file under `dir`, symbolic links counted as links (as `du -b` does). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(path);
    else total += (await lstat(path)).size;
  }
  return total;
}

/** Every file under `dir` whose name ends with `suffix`. */
export async function filesEndingWith(dir: string, suffix: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix))
      found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

/** A module specifier in a declaration file that a user's compiler could not follow. */
export interface StrayReference {
  file: string;
  specifier: string;
  why: string;
}

// `from '…'`, `import '…'`, `import('…')` and `/// <reference path|types="…" />`.
const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]|\/\/\/\s*<reference\s+(?:path|types)="([^"]+)"/g;

/**
 * The references of the package's declaration files that lead out of the package to anything
 * but `allowedPackages` (its peers) and Node's builtins: a `../../core/…` path that only
 * resolves inside this repository, or a package the user never installed.
 */
export async function strayDeclarationReferences(
  packageDir: string,
  allowedPackages: readonly string[],
): Promise<StrayReference[]> {
  const stray: StrayReference[] = [];
  for (const file of await filesEndingWith(packageDir, '.d.ts')) {
    const text = await readFile(file, 'utf8');
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = (match[1] ?? match[2]) as string;
      const name = relative(packageDir, file);
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier.replace(/\.js$/, '.d.ts'));
        if (relative(packageDir, target).startsWith('..')) {
          stray.push({ file: name, specifier, why: 'outside the package' });
        } else if (!(await exists(target))) {
          stray.push({ file: name, specifier, why: 'no such declaration file' });
        }
      } else if (
        !specifier.startsWith('node:') &&
        specifier !== 'node' &&
        !allowedPackages.some((peer) => specifier === peer || specifier.startsWith(`${peer}/`))
      ) {
        stray.push({ file: name, specifier, why: 'not a peer dependency' });
      }
    }
  }
  return stray;
}

/**
 * The declaration files a compiler reads for `entry`: it and every file inside the package it
 * reaches through relative references, package-relative paths, sorted.
 */
export async function reachableDeclarations(packageDir: string, entry: string): Promise<string[]> {
  const seen = new Set<string>();
  const pending = [resolve(packageDir, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file) || !(await exists(file))) continue;
    seen.add(file);
    for (const match of (await readFile(file, 'utf8')).matchAll(SPECIFIER)) {
      const specifier = (match[1] ?? match[2]) as string;
      if (specifier.startsWith('.')) {
        pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.d.ts')));
      }
    }
  }
  return [...seen].map((file) => relative(packageDir, file)).sort();
}

/** The modules an ES module bundle imports statically or dynamically, each once, sorted. */
export function importedModules(bundle: string): string[] {
  const modules = new Set<string>();
  for (const match of bundle.matchAll(
    /^import\s[^;]*?from\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']/gm,
  )) {
    modules.add((match[1] ?? match[2]) as string);
  }
  return [...modules].sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
