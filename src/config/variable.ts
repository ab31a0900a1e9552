import { z } from 'zod';

/**
 * One environment variable: its name, its default (as the text an operator would write, so the docs show exactly
 * what applies), how its text is parsed, and what it means. Declared once, in variables.ts; the parser, the
 * Config type, .env.example, the README's table and the log redaction all read the declaration.
 */
export interface Variable<T> {
  readonly kind: 'variable';
  readonly name: string;
  readonly parse: z.ZodType<T>;
  readonly default?: string;
  /** For a default computed from other variables: how the docs describe it. */
  readonly defaultDoc?: string;
  readonly doc: string;
  /** Never logged, never echoed in an error. */
  readonly secret?: boolean;
  /** Where the variable belongs in .env.example and the README. */
  readonly section: Section;
}

export type Section =
  | 'server'
  | 'database'
  | 'provider'
  | 'storage'
  | 'recovery'
  | 'worker'
  | 'notifications'
  | 'alerts'
  | 'events'
  | 'limits';

interface Options {
  default?: string;
  defaultDoc?: string;
  secret?: boolean;
}

/** A variable with a default always has a value; one without is undefined while unset. */
export function variable<T>(name: string, section: Section, parse: z.ZodType<T>, doc: string, options: Options & { default: string }): Variable<T>;
export function variable<T>(name: string, section: Section, parse: z.ZodType<T>, doc: string, options?: Options): Variable<T | undefined>;
export function variable<T>(name: string, section: Section, parse: z.ZodType<T>, doc: string, options: Options = {}): Variable<T> {
  return { kind: 'variable', name, section, parse, doc, ...options };
}

/** A tree of variables, shaped like the Config it parses into. */
export interface VariableTree {
  readonly [key: string]: Variable<unknown> | VariableTree;
}

export type Parsed<T extends VariableTree> = {
  -readonly [K in keyof T]: T[K] extends Variable<infer V> ? V : T[K] extends VariableTree ? Parsed<T[K]> : never;
};

export const isVariable = (node: Variable<unknown> | VariableTree): node is Variable<unknown> => node.kind === 'variable';

/** Every variable of the tree, in declaration order, with its path in the Config ("kie.apiKey"). */
export function listVariables(tree: VariableTree, prefix = ''): { path: string; variable: Variable<unknown> }[] {
  return Object.entries(tree).flatMap(([key, node]) =>
    isVariable(node) ? [{ path: prefix + key, variable: node }] : listVariables(node, `${prefix}${key}.`),
  );
}

// Parsers of the variables' text.
export const text = z.string().min(1);
export const url = z.url();
export const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
export const positiveNumber = z.coerce.number().positive();
/** Minutes (decimals allowed) as milliseconds. */
export const minutesAsMs = z.coerce.number().positive().transform((m) => Math.round(m * 60_000));
/** An unquoted PostgreSQL name: lower case, so it means the same quoted or not. */
export const sqlName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL name (letters, digits, _)');
/** Hours (decimals allowed) as milliseconds, up to max hours. */
export const hoursAsMs = (max: number) => z.coerce.number().positive().max(max).transform((h) => Math.round(h * 3_600_000));
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values);
/** A comma-separated list, blanks dropped. */
export const list = z.string().transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean));
