/**
 * Compose file interpolation as the Compose Specification defines it: `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`, `${VAR:+replacement}`, `${VAR+replacement}`, and `$$`
 * for a literal dollar sign. Nested expressions (`${A:-${B}}`) are refused rather than half-understood.
 */

export type InterpolationOperator = '' | ':-' | '-' | ':?' | '?' | ':+' | '+';

export interface VariableReference {
  name: string;
  operator: InterpolationOperator;
  /** The default, the error message or the replacement, as written. */
  argument: string;
  /** The whole expression, e.g. `${REDIS_PASSWORD:?set REDIS_PASSWORD}`. */
  expression: string;
}

export class InterpolationError extends Error {
  override readonly name = 'InterpolationError';
  constructor(
    message: string,
    readonly expression: string,
  ) {
    super(message);
  }
}

const TOKEN = /\$(?:(\$)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
const BRACED = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?|:\+|\+)([\s\S]*))?$/;

function parseBraced(body: string, expression: string): VariableReference {
  if (body.includes('${') || body.includes('$')) {
    throw new InterpolationError(`nested interpolation is not supported: ${expression}`, expression);
  }
  const match = BRACED.exec(body);
  if (!match) throw new InterpolationError(`not a variable expression: ${expression}`, expression);
  return {
    name: match[1] as string,
    operator: (match[2] ?? '') as InterpolationOperator,
    argument: match[3] ?? '',
    expression,
  };
}

/**
 * Every variable expression in one string, in order.
 * @throws InterpolationError on a malformed or nested expression.
 */
export function findReferences(text: string): VariableReference[] {
  const references: VariableReference[] = [];
  for (const match of text.matchAll(TOKEN)) {
    if (match[1] !== undefined) continue;
    if (match[2] !== undefined) references.push(parseBraced(match[2], match[0]));
    else if (match[3] !== undefined)
      references.push({ name: match[3], operator: '', argument: '', expression: match[0] });
  }
  return references;
}

function resolve(reference: VariableReference, env: ReadonlyMap<string, string>): string {
  const value = env.get(reference.name);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (reference.operator) {
    case '':
      return value ?? '';
    case ':-':
      return nonEmpty ? value : reference.argument;
    case '-':
      return set ? value : reference.argument;
    case ':?':
      if (!nonEmpty)
        throw new InterpolationError(`${reference.name}: ${reference.argument}`, reference.expression);
      return value;
    case '?':
      if (!set)
        throw new InterpolationError(`${reference.name}: ${reference.argument}`, reference.expression);
      return value;
    case ':+':
      return nonEmpty ? reference.argument : '';
    case '+':
      return set ? reference.argument : '';
  }
}

/**
 * The string with every expression replaced from `env`, as `docker compose` would.
 * @throws InterpolationError when a required variable (`:?`, `?`) is missing, or on a malformed expression.
 */
export function interpolate(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(TOKEN, (whole: string, dollar?: string, braced?: string, bare?: string) => {
    if (dollar !== undefined) return '$';
    if (braced !== undefined) return resolve(parseBraced(braced, whole), env);
    return resolve({ name: bare as string, operator: '', argument: '', expression: whole }, env);
  });
}
