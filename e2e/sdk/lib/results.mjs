// Per-flow results for the compatibility matrix. Each test file records its
// flows and, when it ends, merges them into the JSON array at $SDK_RESULTS:
// [{"sdk": "...", "version": "...", "flow": "...", "ok": true}, ...].
// Test files may run in separate processes at the same time, so the merge
// happens under a lock directory and the file is replaced atomically.
import { test, after } from 'node:test';
import { mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SDK_RESULTS } from './config.mjs';

/**
 * Returns `flow(name, detail, fn, options)`: a `test()` titled "name: detail"
 * whose outcome is recorded as one row {sdk, version, flow: name, ok}. Flows
 * that never got to run (a failed `before` hook, a crash) are recorded as not
 * ok.
 */
export function recorder(sdk, version) {
  const declared = [];
  const outcome = new Map();

  after(async () => {
    const rows = declared.map((flow) => ({ sdk, version, flow, ok: outcome.get(flow) === true }));
    if (SDK_RESULTS) await mergeResults(SDK_RESULTS, rows);
  });

  return function flow(name, detail, fn, options = {}) {
    if (declared.includes(name)) throw new Error(`flow ${name} declared twice`);
    declared.push(name);
    return test(`${name}: ${detail}`, options, async (t) => {
      outcome.set(name, false);
      await fn(t);
      outcome.set(name, true);
    });
  };
}

async function mergeResults(path, rows) {
  const lock = path + '.lock';
  for (let waited = 0; ; waited += 20) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      if (waited > 10_000) throw new Error(`${lock} held for over 10 s; remove it if no test is running`);
      await sleep(20);
    }
  }
  try {
    let current = [];
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8'));
      if (Array.isArray(parsed)) current = parsed;
    } catch {
      // Missing or unreadable: start a new array.
    }
    const key = (r) => `${r.sdk}\u0000${r.flow}`;
    const replaced = new Set(rows.map(key));
    const merged = current.filter((r) => !replaced.has(key(r))).concat(rows);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(merged, null, 2) + '\n');
    renameSync(tmp, path);
  } finally {
    rmdirSync(lock);
  }
}
