#!/usr/bin/env node
// Last step of `npm run build` for the browser client: copies its static files
// (index.html, styles.css) and KaTeX's browser build (script, style sheet, fonts)
// next to the modules that `tsc -p src/web/tsconfig.json` compiled.
//
//   node src/web/build/copy-static.mjs [--out <dir>]     default: <project>/dist/web
//
// KaTeX goes to vendor/katex-<version>/, a path that changes with the version,
// so the server may let browsers cache it for good.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const webSrc = path.resolve(here, '..');
const projectRoot = path.resolve(webSrc, '..', '..');

const outFlag = process.argv.indexOf('--out');
const out = path.resolve(outFlag >= 0 && process.argv[outFlag + 1] ? process.argv[outFlag + 1] : path.join(projectRoot, 'dist', 'web'));

const require = createRequire(import.meta.url);
const katexDist = path.dirname(require.resolve('katex'));
const katexVersion = JSON.parse(readFileSync(path.join(katexDist, '..', 'package.json'), 'utf8')).version;
const vendorDir = `vendor/katex-${katexVersion}`;

mkdirSync(out, { recursive: true });
rmSync(path.join(out, 'vendor'), { recursive: true, force: true });
const katexOut = path.join(out, vendorDir);
mkdirSync(katexOut, { recursive: true });
for (const file of ['katex.min.js', 'katex.min.css']) cpSync(path.join(katexDist, file), path.join(katexOut, file));
cpSync(path.join(katexDist, 'fonts'), path.join(katexOut, 'fonts'), { recursive: true });

const html = readFileSync(path.join(webSrc, 'index.html'), 'utf8').replaceAll('%KATEX%', vendorDir);
writeFileSync(path.join(out, 'index.html'), html);
cpSync(path.join(webSrc, 'styles.css'), path.join(out, 'styles.css'));

console.log(`web client static files and KaTeX ${katexVersion} copied to ${path.relative(process.cwd(), out) || '.'}`);
