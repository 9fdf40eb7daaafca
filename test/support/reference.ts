import { readFileSync } from 'node:fs';

/**
 * Expected values computed by an independent reference script, read from
 * test/fixtures/reference/<name> (each JSON file there is the output of the
 * .py script of the same name; rerun the script to regenerate it).
 */
export function loadReference<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/reference/${name}`, import.meta.url), 'utf8')) as T;
}
