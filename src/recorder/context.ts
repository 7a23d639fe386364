/**
 * The active span for nesting steps and LLM requests across async code. AsyncLocalStorage is
 * created on first use, so runs that never call the API pay nothing for it.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { LiveSpan } from './run';

let storage: AsyncLocalStorage<LiveSpan> | undefined;

function als(): AsyncLocalStorage<LiveSpan> {
  if (!storage) {
    const { AsyncLocalStorage: ALS } = require('node:async_hooks') as typeof import('node:async_hooks');
    storage = new ALS<LiveSpan>();
  }
  return storage;
}

export function activeSpan(): LiveSpan | undefined {
  return storage?.getStore();
}

export function runWithSpan<T>(span: LiveSpan, fn: () => T): T {
  return als().run(span, fn);
}

/**
 * Make `span` the active span for the rest of the current synchronous execution and what it
 * schedules (an HTTP request handler, entered from the request-start diagnostics channel).
 */
export function enterSpan(span: LiveSpan): void {
  als().enterWith(span);
}
