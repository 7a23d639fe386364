// Ageing a stored session the way time would: its start moves back, and its files' modification
// times (the "last seen" clock) move back too. Nothing else of the stored state changes.
import * as fs from 'node:fs';
import { logFile, parseHead } from '../../src/session/store';

export function ageSession(file: string, idleMin: number, ageMin = idleMin): void {
  const now = Date.now();
  const head = parseHead(fs.readFileSync(file, 'utf8'));
  if (!head) throw new Error(`no session head in ${file}`);
  head.startedAt = Math.min(head.startedAt, now - ageMin * 60_000);
  fs.writeFileSync(file, JSON.stringify(head));
  const seen = new Date(now - idleMin * 60_000);
  for (const f of [file, logFile(file, head.id)]) if (fs.existsSync(f)) fs.utimesSync(f, seen, seen);
}
