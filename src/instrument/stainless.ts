/**
 * Prototype-level wrapping of the `create` methods of Stainless-generated clients (`openai`,
 * `@anthropic-ai/sdk`). Both return an `APIPromise`: a lazy Promise subclass holding
 * `responsePromise` (resolves when headers arrive, rejects with the client's own error after its
 * retries) and `parseResponse` (reads the body, or builds a `Stream` for SSE). We observe by
 * replacing those two instance properties with pass-through versions, so:
 *   - the app gets the very same APIPromise object back (`.withResponse()`, `.asResponse()`,
 *     `._thenUnwrap()` keep working), the same parsed object, the same Stream instance, the same
 *     errors, and no body is read that the app would not read itself;
 *   - a rejected request we observe stays exactly as (un)handled as it was: our derived promise
 *     rethrows and is what the APIPromise consumes.
 * Streams are observed through their `iterator` factory, which every consumer path goes through
 * (for await, tee(), toReadableStream(), the SDKs' own stream helpers); the span ends when the
 * app has read the stream to its end, broke off, or it failed.
 * Any shape we do not recognise: the call is left untouched and nothing is recorded for it.
 */
import type { Level } from '../model/records';
import { currentRecorder } from '../recorder/current';
import { LlmCall, type LlmCallStart, type LlmResult } from './llm-call';
import { callOriginal, installWrapper, isObj, unwrappedMethod, whenSettled, type AnyFn, type Obj } from './patch';


export interface StreamAccumulator {
  chunk(c: unknown): void;
  result(): LlmResult;
}

/** How one client method maps to the GenAI conventions. */
export interface OperationSpec {
  operation: string;
  /** Provider from the resource instance (e.g. an AzureOpenAI client is `azure.ai.openai`). */
  provider(resource: unknown): string;
  /** What the request says: model, parameters, and (only when `full`) the input content. */
  describe(body: Obj, full: boolean): Omit<LlmCallStart, 'provider' | 'operation'>;
  /** What a parsed, non-streamed body says. */
  fromBody(body: unknown, full: boolean): LlmResult;
  /** A fresh accumulator for one stream's chunks. */
  stream(full: boolean): StreamAccumulator;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return !!v && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Replace `proto[method]` by an observing wrapper (once; idempotent across copies of this
 * package via the global WRAPPED marker). Returns false when there is nothing to wrap.
 */
export function wrapMethod(proto: unknown, method: string, spec: OperationSpec): boolean {
  const orig = unwrappedMethod(proto, method);
  if (!orig) return false;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const call = begin(this, args, spec);
    if (!call) return orig.apply(this, args);
    const result = callOriginal(orig, this, args, (err) => call.llm.end(err));
    try {
      observe(result, call);
    } catch {
      call.llm.discard();
    }
    return result;
  };
  installWrapper(proto as Obj, method, orig, wrapped);
  return true;
}

interface Pending {
  llm: LlmCall;
  spec: OperationSpec;
  full: boolean;
  streamed: boolean;
}

/**
 * server.address / server.port from the client's `baseURL` (both Stainless SDKs keep it on the
 * client). The host name only, never an IP address or a path.
 */
export function serverOf(resource: unknown): Pick<LlmCallStart, 'serverAddress' | 'serverPort'> {
  const client = isObj(resource) ? resource._client : undefined;
  const base = isObj(client) ? client.baseURL : undefined;
  if (typeof base !== 'string') return {};
  try {
    const u = new URL(base);
    // IP addresses are never collected (the catalog's rule would drop the address but not the port).
    if (/^[0-9.]+$/.test(u.hostname) || u.hostname.startsWith('[')) return {};
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : undefined;
    return { serverAddress: u.hostname, ...(port ? { serverPort: port } : {}) };
  } catch {
    return {};
  }
}

function begin(resource: unknown, args: unknown[], spec: OperationSpec): Pending | undefined {
  try {
    const recorder = currentRecorder();
    if (!recorder || !recorder.run.allows('usage') || recorder.run.root.ended) return undefined;
    const body = args[0];
    if (!isObj(body)) return undefined; // the client will reject it; nothing to describe
    const full = (recorder.level as Level) === 'full';
    const llm = new LlmCall(recorder, { provider: spec.provider(resource), operation: spec.operation, ...serverOf(resource), ...spec.describe(body, full) });
    return { llm, spec, full, streamed: body.stream === true };
  } catch {
    return undefined;
  }
}

function observe(result: unknown, call: Pending): void {
  const p = result as Obj;
  const responsePromise = isObj(p) ? p.responsePromise : undefined;
  const parse = isObj(p) ? p.parseResponse : undefined;
  if (!isThenable(responsePromise) || typeof parse !== 'function') {
    call.llm.discard(); // not an APIPromise we know
    return;
  }
  const { llm } = call;
  let parseStarted = false;
  p.responsePromise = whenSettled(
    responsePromise,
    (props) => {
      // The body is read lazily by whoever awaits the APIPromise. If nobody has started to
      // (`.asResponse()` alone), end the span with what the request told us.
      setImmediate(() => {
        if (!parseStarted) llm.end();
      });
      return props;
    },
    (err) => llm.end(err),
  );
  p.parseResponse = function (this: unknown, ...args: unknown[]): unknown {
    parseStarted = true;
    const out = callOriginal(parse as AnyFn, this, args, (err) => llm.end(err));
    return whenSettled(
      out,
      (body) => {
        try {
          settle(body, call);
        } catch {
          llm.end();
        }
        return body;
      },
      (err) => llm.end(err),
    );
  };
}

function settle(body: unknown, call: Pending): void {
  const { llm, spec, full } = call;
  const stream = body as Obj;
  if (call.streamed && isObj(stream) && typeof stream.iterator === 'function') {
    const acc = spec.stream(full);
    const factory = stream.iterator as AnyFn;
    let first = true;
    stream.iterator = function (this: unknown, ...args: unknown[]): unknown {
      const inner = factory.apply(this, args);
      if (!first) return inner; // a second iteration fails by itself ("consumed stream")
      first = false;
      return observeIterator(inner as AsyncIterator<unknown>, acc, llm);
    };
    return;
  }
  llm.update(spec.fromBody(body, full));
  llm.end();
}

/**
 * Delegates next/return/throw unchanged; watches chunks and the end. One extra promise per chunk
 * (`then` on the client's own), with handlers allocated once per stream: this is the per-chunk
 * cost of capture (bench/llm-overhead.mjs).
 */
export function observeIterator(inner: AsyncIterator<unknown>, acc: StreamAccumulator, llm: LlmCall): AsyncIterator<unknown> {
  const finish = (err?: unknown): void => {
    try {
      llm.update(acc.result());
    } catch {
      /* keep what is known */
    }
    llm.end(err);
  };
  const onNext = (r: IteratorResult<unknown>): IteratorResult<unknown> => {
    if (r.done) finish();
    else {
      try {
        acc.chunk(r.value);
      } catch {
        /* a chunk we cannot read: the app still gets it */
      }
    }
    return r;
  };
  const onEnd = (r: IteratorResult<unknown>): IteratorResult<unknown> => {
    finish();
    return r;
  };
  const onError = (err: unknown): never => {
    finish(err);
    throw err;
  };
  const it: AsyncIterator<unknown> & AsyncIterable<unknown> = {
    next(...a: [] | [unknown]) {
      return inner.next(...a).then(onNext, onError);
    },
    return(value?: unknown) {
      if (inner.return) return inner.return(value).then(onEnd, onError);
      finish();
      return Promise.resolve({ done: true, value } as IteratorResult<unknown>);
    },
    throw(e?: unknown) {
      if (inner.throw) return inner.throw(e).then(onEnd, onError);
      finish(e);
      return Promise.reject(e);
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
