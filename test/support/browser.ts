/**
 * Browser test helpers: build the web client, launch headless Chromium, and
 * collect what a page complains about (script errors, CSP violations).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../../src/infra/paths.js';

const run = promisify(execFile);

/** Where tests put screenshots (gitignored). */
export const ARTIFACTS_DIR = path.join(projectRoot(), 'test-artifacts');

/** Chromium as installed by `apt-get install chromium`; override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface TestLike {
  teardown(fn: () => unknown): void;
}

/**
 * Compiles src/contracts and src/web and copies the client's static files into a fresh temporary
 * folder (never dist/web, which other runs may be serving) and returns it.
 * The folder is removed at teardown.
 */
export async function buildWebClient(t: TestLike): Promise<string> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'exam-web-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const root = projectRoot();
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  // The shared contracts first, into contracts/ beside the client's modules (where the browser finds them).
  await run(
    process.execPath,
    [tsc, '-p', path.join(root, 'src', 'contracts', 'tsconfig.json'), '--outDir', path.join(out, 'contracts'), '--declarationDir', path.join(out, 'types'), '--tsBuildInfoFile', path.join(out, '.tsbuildinfo-contracts')],
    { cwd: root },
  );
  await run(process.execPath, [tsc, '-p', path.join(root, 'src', 'web', 'tsconfig.json'), '--outDir', out], { cwd: root });
  await run(process.execPath, [path.join(root, 'src', 'web', 'build', 'copy-static.mjs'), '--out', out], { cwd: root });
  return out;
}

/** Headless Chromium, closed at teardown. `extraArgs`: more switches (a fake microphone, say). */
export async function launchBrowser(t: TestLike, extraArgs: string[] = []): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
  t.teardown(() => browser.close());
  // Functions a test hands to page.evaluate are sent as their source, and the
  // tests' loader (tsx, esbuild with keepNames) wraps named inner functions in
  // a `__name(fn, "name")` call the page does not have. Every page gets that
  // helper (an identity) before any of its scripts, so no test depends on how
  // it writes a callback. The app's own scripts are built by tsc and never
  // call it. A string, so the loader cannot rewrite it.
  const withNameHelper = async (context: BrowserContext) => {
    await context.addInitScript({ content: 'globalThis.__name ??= (fn) => fn;' });
    return context;
  };
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => withNameHelper(await newContext(options));
  browser.newPage = async (options) => {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    page.once('close', () => void context.close().catch(() => {}));
    return page;
  };
  return browser;
}

export interface PageProblems {
  /** Uncaught errors and console errors, except the reports below. */
  errors: string[];
  /**
   * Reports of inline handlers or styles that the CSP blocked. Chrome files one
   * for every such attribute it meets, even while DOMParser builds an inert
   * document, so item HTML with hostile attributes produces them harmlessly.
   */
  blockedByCsp: string[];
}

/** Collects what a page complains about from now on. */
export function watchProblems(page: Page): PageProblems {
  const problems: PageProblems = { errors: [], blockedByCsp: [] };
  page.on('pageerror', (err) => problems.errors.push(`pageerror: ${err.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.errors.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (/^(Executing inline event handler|Applying inline style) violates the following Content Security Policy directive[\s\S]*The action has been blocked\.$/.test(text)) {
      problems.blockedByCsp.push(text);
    } else problems.errors.push(`console: ${text}`);
  });
  return problems;
}

/** Fills the log-in form the page shows and sends it. */
export async function submitLogIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
}

/**
 * Logs a staff member in the way a person arrives: opens a staff address, is sent to the log-in
 * page (`/login?next=…`), signs in and lands back on that address.
 */
export async function logInToStaff(page: Page, url: string, username: string, password: string, staffPath = '/staff'): Promise<void> {
  await page.goto(`${url}${staffPath}`);
  await page.waitForURL(`${url}/login?next=${encodeURIComponent(staffPath)}`);
  await submitLogIn(page, username, password);
  await page.waitForURL(`${url}${staffPath}`);
}

/** Opens the candidate client and signs in; the caller waits for what should follow (the exam list, a refusal). */
export async function logInAsCandidate(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await submitLogIn(page, username, password);
}

/** Saves a full-page screenshot as test-artifacts/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
