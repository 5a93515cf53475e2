/**
 * Declarative JSON fields (type, bounds, pattern, enum, default, description), read both by {@link walk},
 * which validates a document and names each problem by its JSON path, and by {@link toJsonSchema}, which
 * publishes the same rules for editors.
 */

/** A JSON object as parsed. */
export type Json = Record<string, unknown>;

interface Common {
  /** Shown by editors (the JSON Schema `description`). */
  readonly description: string;
  /** Taken when the field is absent or invalid. */
  readonly default?: unknown;
  /** The field must be given: `true` reports "is required", a string replaces that message. */
  readonly required?: true | string;
}

/** `true` or `false`. */
export interface BooleanField extends Common {
  readonly type: 'boolean';
}

/** A finite number within bounds; `integer` also refuses fractions. */
export interface NumberField extends Common {
  readonly type: 'number' | 'integer';
  readonly minimum: number;
  readonly maximum: number;
}

/** A string, optionally non-blank, matching a pattern or one of an enum. */
export interface StringField extends Common {
  readonly type: 'string';
  readonly nonEmpty?: boolean;
  readonly pattern?: RegExp;
  readonly enum?: readonly string[];
  /** What a valid value is, as in "must be <what>" (also for a wrong type unless `nonEmpty`). */
  readonly what?: string;
  /** The whole message for a value outside `pattern` or `enum`, when "must be <what>" says too little. */
  readonly explain?: (value: string) => string;
  /** The value may be a secret pasted in the wrong place, so messages never quote it. */
  readonly conceal?: boolean;
  /** Checks what a pattern cannot; returns the value to keep or `fail(message)`. */
  readonly parse?: (value: string, fail: (message: string) => undefined) => string | undefined;
}

/** A list whose items are all one field. */
export interface ListField extends Common {
  readonly type: 'array';
  readonly items: Field;
  readonly minItems?: number;
  /** Replace the messages for a value that is not a list or has too few items. */
  readonly messages?: { readonly type?: string; readonly minItems?: string };
}

/** An object with known fields only. */
export interface ObjectField extends Common {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, Field>>;
  /** What a valid value is, as in "must be <what>"; "an object" when absent. */
  readonly what?: string;
  readonly conceal?: boolean;
  /** Exactly one of two fields must be given; `none` and `both` are the messages at the object's path. */
  readonly exactlyOne?: { readonly fields: readonly [string, string]; readonly none: string; readonly both: string };
  /** Checks across fields that JSON Schema cannot express, on the walked value (defaults filled in). */
  readonly refine?: (value: Json, check: Refinement) => void;
}

/** One field of a document. */
export type Field = BooleanField | NumberField | StringField | ListField | ObjectField;

/** What a {@link ObjectField.refine} may do. */
export interface Refinement {
  /** Reports a problem at a field of the object (`''`: the object itself). */
  fail(field: string, message: string): void;
  /** Whether nothing inside the object has been reported, unknown fields aside. */
  clean(): boolean;
}

type Fail = (message: string, at?: string) => undefined;

/**
 * Validates `raw` against `field`, appending one `path: message` to `problems` per problem, and returns
 * the value with defaults filled in; an invalid part is replaced by its default or left out.
 */
export function walk(field: Field, raw: unknown, path: string, problems: string[]): unknown {
  const fail: Fail = (message, at = path) => void problems.push(`${at || '(root)'}: ${message}`);
  if (raw === undefined)
    return field.required ? fail(field.required === true ? 'is required' : field.required) : structuredClone(field.default);
  return read(field, raw, path, problems, fail) ?? structuredClone(field.default);
}

function read(field: Field, raw: unknown, path: string, problems: string[], fail: Fail): unknown {
  switch (field.type) {
    case 'boolean':
      return typeof raw === 'boolean' ? raw : fail(`must be true or false, got ${typeName(raw)}`);
    case 'number':
    case 'integer':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) return fail(`must be a number, got ${typeName(raw)}`);
      if (raw < field.minimum || raw > field.maximum) return fail(`must be between ${field.minimum} and ${field.maximum}, got ${raw}`);
      return field.type === 'integer' && !Number.isInteger(raw) ? fail(`must be a whole number, got ${raw}`) : raw;
    case 'string':
      return readString(field, raw, fail);
    case 'array':
      if (!Array.isArray(raw)) return fail(field.messages?.type ?? `must be a list, got ${typeName(raw)}`);
      if (raw.length < (field.minItems ?? 0)) return fail(field.messages?.minItems ?? `must have at least ${field.minItems} items`);
      return raw.map((item, i) => walk(field.items, item, `${path}[${i}]`, problems)).filter((item) => item !== undefined);
    case 'object':
      return readObject(field, raw, path, problems, fail);
  }
}

function readString(field: StringField, raw: unknown, fail: Fail): string | undefined {
  if (typeof raw !== 'string' || (field.nonEmpty && raw.trim() === ''))
    return fail(`must be ${field.nonEmpty ? 'a non-empty string' : (field.what ?? 'a string')}, got ${shown(raw, field.conceal)}`);
  if (field.pattern?.test(raw) === false || field.enum?.includes(raw) === false)
    return fail(field.explain?.(raw) ?? `must be ${whatOf(field)}${field.conceal ? '' : `, got ${quote(raw)}`}`);
  return field.parse ? field.parse(raw, fail) : raw;
}

function readObject(field: ObjectField, raw: unknown, path: string, problems: string[], fail: Fail): Json | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return fail(`must be ${field.what ?? 'an object'}, got ${shown(raw, field.conceal)}`);
  const given = raw as Json;
  const names = Object.keys(field.properties);
  for (const name of Object.keys(given))
    if (!names.includes(name)) fail(`unknown field${hintFor(name, names, 'allowed')}`, join(path, name));
  const before = problems.length;
  const value: Json = {};
  for (const [name, child] of Object.entries(field.properties)) {
    const walked = walk(child, given[name], join(path, name), problems);
    if (walked !== undefined) value[name] = walked;
  }
  if (field.exactlyOne) {
    const { fields, none, both } = field.exactlyOne;
    // A field given but malformed is reported at its own path only: it counts as given for `none` (and a
    // required field says so itself), and as absent for `both`.
    if (fields.every((name) => given[name] === undefined && !field.properties[name]?.required)) fail(none);
    if (fields.every((name) => value[name] !== undefined)) fail(both);
  }
  field.refine?.(value, { fail: (name, message) => fail(message, join(path, name)), clean: () => problems.length === before });
  return value;
}

/** The draft-07 JSON Schema of `field`, with the types, bounds, patterns, enums, defaults and descriptions {@link walk} applies. */
export function toJsonSchema(field: Field): Json {
  const common = { description: field.description, default: field.default };
  switch (field.type) {
    case 'boolean':
      return { type: 'boolean', ...common };
    case 'number':
    case 'integer':
      return { type: field.type, ...common, minimum: field.minimum, maximum: field.maximum };
    case 'string': {
      if (field.pattern?.flags) throw new Error(`pattern ${field.pattern} has flags, which JSON Schema cannot carry`);
      const blankable = !field.nonEmpty || field.enum !== undefined;
      // Editors show `patternErrorMessage` (a VS Code extension) instead of the regular expression.
      const pattern = field.pattern
        ? { pattern: field.pattern.source, patternErrorMessage: `must be ${whatOf(field)}` }
        : blankable
          ? {}
          : { pattern: '\\S', patternErrorMessage: 'must not be blank' };
      return { type: 'string', ...common, ...(!blankable && { minLength: 1 }), ...pattern, enum: field.enum };
    }
    case 'array':
      return { type: 'array', ...common, items: toJsonSchema(field.items), minItems: field.minItems };
    case 'object': {
      const entries = Object.entries(field.properties);
      const required = entries.filter(([, child]) => child.required).map(([name]) => name);
      return {
        type: 'object',
        ...common,
        properties: Object.fromEntries(entries.map(([name, child]) => [name, toJsonSchema(child)])),
        ...(required.length > 0 && { required }),
        additionalProperties: false,
        oneOf: field.exactlyOne?.fields.map((name) => ({ required: [name] })),
      };
    }
  }
}

/** A non-blank string field unless `nonEmpty: false` is given. */
export const text = (description: string, options: Omit<StringField, 'type' | 'description'> = {}): StringField => ({
  type: 'string',
  description,
  nonEmpty: true,
  ...options,
});

/** A whole number between `minimum` and `maximum`. */
export const integer = (minimum: number, maximum: number, description: string, fallback?: number): NumberField => ({
  type: 'integer',
  description,
  minimum,
  maximum,
  default: fallback,
});

/** A boolean field. */
export const boolean = (description: string, fallback?: boolean): BooleanField => ({ type: 'boolean', description, default: fallback });

/** An object field with exactly these properties. */
export const object = (
  description: string,
  properties: Record<string, Field>,
  options: Omit<ObjectField, 'type' | 'description' | 'properties'> = {},
): ObjectField => ({ type: 'object', description, properties, ...options });

/** A list field of `items`. */
export const list = (description: string, items: Field, options: Omit<ListField, 'type' | 'description' | 'items'> = {}): ListField => ({
  type: 'array',
  description,
  items,
  ...options,
});

/** A JSON string of `value`, shortened past 80 characters. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

/** `; did you mean "x"?` naming the closest candidates, or `; <label>: <all candidates>` when none is close. */
export function hintFor(input: string, candidates: readonly string[], label: string): string {
  const close = suggest(input, candidates).map(quote);
  if (close.length === 0) return `; ${label}: ${candidates.join(', ')}`;
  const last = close.pop();
  return `; did you mean ${close.length > 0 ? `${close.join(', ')} or ${last}` : last}?`;
}

/**
 * Returns the candidates closest to `input` within a small edit distance (all of them on a tie),
 * comparing with the whole candidate and with its part before the first "-", so "coinbse" finds
 * every "coinbase-…" id.
 */
export function suggest(input: string, candidates: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(input.length / 3));
  const lower = input.toLowerCase();
  let best: string[] = [];
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const whole = candidate.toLowerCase();
    const distance = Math.min(editDistance(lower, whole), editDistance(lower, whole.split('-')[0] ?? whole));
    if (distance < bestDistance) [best, bestDistance] = [[candidate], distance];
    else if (distance === bestDistance) best.push(candidate);
  }
  return best;
}

function whatOf(field: StringField): string {
  return field.what ?? (field.enum ? `one of ${field.enum.join(', ')}` : `a string matching ${field.pattern}`);
}

function shown(value: unknown, conceal = false): string {
  return conceal && typeof value === 'string' && value.trim() !== '' ? 'a string (not shown)' : typeName(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : `the string ${quote(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function join(path: string, field: string): string {
  return path && field ? `${path}.${field}` : path || field;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
