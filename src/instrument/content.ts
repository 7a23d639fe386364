/**
 * Message content in the GenAI semantic-convention shape (`[{ role, parts: [{ type, content }] }]`,
 * serialized as a JSON string attribute). Used at level `full` only: the callers never call these
 * below it, so prompts and completions are not even copied in memory at `usage`. Binary parts
 * (images, audio, files) keep their type only, never their data.
 */

type Obj = Record<string, unknown>;

export interface Part {
  type: string;
  content?: string;
  id?: string;
  name?: string;
  arguments?: unknown;
  response?: unknown;
}

export interface Message {
  role: string;
  parts: Part[];
  finish_reason?: string;
}

function isObj(v: unknown): v is Obj {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function text(content: string): Part {
  return { type: 'text', content };
}

/** Bound the work and the size: the sanitizer caps values again, this keeps us from building megabytes. */
const MAX_MESSAGES = 200;
const MAX_JSON = 64 * 1024;

export function toJson(messages: Message[]): string | undefined {
  if (!messages.length) return undefined;
  try {
    const json = JSON.stringify(messages.slice(-MAX_MESSAGES));
    return json.length > MAX_JSON ? json.slice(0, MAX_JSON) : json;
  } catch {
    return undefined;
  }
}

/** One OpenAI chat / Anthropic content part (or block). */
function part(p: unknown): Part | undefined {
  if (typeof p === 'string') return text(p);
  if (!isObj(p)) return undefined;
  const type = typeof p.type === 'string' ? p.type : 'unknown';
  switch (type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      return typeof p.text === 'string' ? text(p.text) : { type: 'text' };
    case 'tool_use': // Anthropic
      return { type: 'tool_call', id: String(p.id ?? ''), name: String(p.name ?? ''), arguments: p.input };
    case 'tool_result': // Anthropic
      return { type: 'tool_call_response', id: String(p.tool_use_id ?? ''), response: contentText(p.content) };
    case 'function_call': // OpenAI Responses
      return { type: 'tool_call', id: String(p.call_id ?? ''), name: String(p.name ?? ''), arguments: p.arguments };
    default:
      return { type }; // image, audio, file, thinking...: the kind only
  }
}

function contentText(c: unknown): string | undefined {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    return c
      .map((p) => (isObj(p) && typeof p.text === 'string' ? p.text : ''))
      .filter(Boolean)
      .join('');
  }
  return undefined;
}

function parts(content: unknown): Part[] {
  if (typeof content === 'string') return [text(content)];
  if (Array.isArray(content)) return content.map(part).filter((p): p is Part => !!p);
  return [];
}

function toolCalls(calls: unknown): Part[] {
  if (!Array.isArray(calls)) return [];
  return calls.filter(isObj).map((c) => {
    const fn = isObj(c.function) ? c.function : {};
    return { type: 'tool_call', id: String(c.id ?? ''), name: String(fn.name ?? ''), arguments: fn.arguments };
  });
}

/** OpenAI chat `messages` or Anthropic `messages` (same outline: role + string or part list). */
export function chatMessages(messages: unknown): Message[] {
  if (!Array.isArray(messages)) return [];
  return messages.filter(isObj).map((m) => {
    const role = typeof m.role === 'string' ? m.role : 'user';
    if (role === 'tool') {
      return { role, parts: [{ type: 'tool_call_response', id: String(m.tool_call_id ?? ''), response: contentText(m.content) }] };
    }
    return { role, parts: [...parts(m.content), ...toolCalls(m.tool_calls)] };
  });
}

/** OpenAI chat completion `choices` -> output messages. */
export function choiceMessages(choices: unknown): Message[] {
  if (!Array.isArray(choices)) return [];
  return choices.filter(isObj).map((c) => {
    const m = isObj(c.message) ? c.message : {};
    const out: Message = { role: typeof m.role === 'string' ? m.role : 'assistant', parts: [...parts(m.content), ...toolCalls(m.tool_calls)] };
    if (typeof c.finish_reason === 'string') out.finish_reason = c.finish_reason;
    return out;
  });
}

/** Anthropic `system` (string or text blocks) -> system instruction parts. */
export function systemParts(system: unknown): Part[] {
  return parts(system);
}

/** OpenAI Responses `input` (string or item list). */
export function responsesInput(input: unknown): Message[] {
  if (typeof input === 'string') return [{ role: 'user', parts: [text(input)] }];
  if (!Array.isArray(input)) return [];
  return input.filter(isObj).map((item) => {
    if (typeof item.role === 'string') return { role: item.role, parts: parts(item.content) };
    const p = part(item);
    return { role: item.type === 'function_call_output' ? 'tool' : 'assistant', parts: p ? [p] : [] };
  });
}

/** OpenAI Responses `output` items -> output messages. */
export function responsesOutput(output: unknown): Message[] {
  if (!Array.isArray(output)) return [];
  return output.filter(isObj).map((item) =>
    item.type === 'message'
      ? { role: typeof item.role === 'string' ? item.role : 'assistant', parts: parts(item.content) }
      : { role: 'assistant', parts: [part(item) ?? { type: 'unknown' }] },
  );
}

/** System instructions are a list of parts, not messages. */
export function partsJson(list: Part[]): string | undefined {
  if (!list.length) return undefined;
  try {
    const json = JSON.stringify(list);
    return json.length > MAX_JSON ? json.slice(0, MAX_JSON) : json;
  } catch {
    return undefined;
  }
}

/** Plain text of an OpenAI Responses / Anthropic content list (for accumulating streamed text). */
export function textMessage(role: string, content: string, finishReason?: string): Message {
  const m: Message = { role, parts: content ? [text(content)] : [] };
  if (finishReason) m.finish_reason = finishReason;
  return m;
}

export { parts as contentParts };
