/**
 * Log-based events the recorder emits itself (the names are src/privacy/events.ts's). Small and
 * free of imports beyond the model: it runs on the tool's path when an error happens.
 */
import { Severity, type Attributes } from '../model/records';
import { errorType } from './error-type';
import type { LiveSpan, Run } from './run';

/**
 * An `exception` event: the class always; the message only when the run is at `full` (the
 * sanitizer scrubs it and drops it below `full` anyway: it is not even copied here). Never the stack.
 */
export function logException(run: Run, err: unknown, span?: LiveSpan): void {
  try {
    const attrs: Attributes = { 'exception.type': typeof err === 'string' ? '_OTHER' : errorType(err) };
    if (run.allows('full')) {
      const message = err && typeof err === 'object' ? (err as { message?: unknown }).message : typeof err === 'string' ? err : undefined;
      if (typeof message === 'string' && message) attrs['exception.message'] = message.slice(0, 4096);
    }
    run.log('exception', attrs, Severity.ERROR, span);
  } catch {
    /* a hostile error object (throwing getters): the span still has its error.type */
  }
}
