/**
 * The directories from `start` up to the file-system root, nearest first, at most `max` of them:
 * how the tool's package.json, project consent files, reachable LLM clients and our own package
 * root are found. Bounded, because a loop over a path must end whatever the path is.
 */
import path = require('node:path');

export function* dirsUp(start: string, max: number): Generator<string> {
  let dir = start;
  for (let i = 0; i < max; i++) {
    yield dir;
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}
