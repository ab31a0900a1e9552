/** Deeper than this, an input is refused: no model takes such input, and walking it must not exhaust the stack. */
export const MAX_INPUT_DEPTH = 32;

/**
 * Why PostgreSQL's jsonb could not store this input as given, or null when it can: the NUL character (in a value or
 * a key), an unpaired UTF-16 surrogate (`\ud800` alone: not a Unicode character), or nesting deeper than
 * MAX_INPUT_DEPTH. Walked iteratively, so a hostile depth costs no stack.
 */
export function unstorableInput(input: unknown): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value: input, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = unstorableText(value);
      if (problem) return problem;
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) return `The input is nested deeper than ${MAX_INPUT_DEPTH} levels`;
    for (const [key, child] of Object.entries(value)) {
      const problem = Array.isArray(value) ? null : unstorableText(key);
      if (problem) return problem;
      stack.push({ value: child, depth: depth + 1 });
    }
  }
  return null;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unstorableText(text: string): string | null {
  if (text.includes('\0')) return 'The input must not contain the NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'The input must not contain an unpaired UTF-16 surrogate (such as \\ud800 alone)';
  return null;
}
