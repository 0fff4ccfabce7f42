import type { Problem } from './compose.js';

export interface EnvEntry {
  name: string;
  value: string;
  line: number;
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/**
 * Reads an env file in the subset both `docker compose --env-file` and shells agree on: `NAME=value` lines,
 * `#` comment lines, blank lines, and values optionally in single or double quotes. Anything else is a
 * finding, so a line compose would read differently than a person does cannot slip in.
 */
export function parseEnvFile(source: string): { entries: EnvEntry[]; problems: Problem[] } {
  const entries: EnvEntry[] = [];
  const problems: Problem[] = [];
  source.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) return;
    const match = ASSIGNMENT.exec(line);
    if (!match) {
      problems.push({ rule: 'env-syntax', where: `line ${index + 1}`, message: `not NAME=value: "${line}"` });
      return;
    }
    const name = match[1] as string;
    let value = match[2] as string;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] as string;
    if (entries.some((entry) => entry.name === name)) {
      problems.push({ rule: 'env-syntax', where: `line ${index + 1}`, message: `${name} is set twice` });
    }
    entries.push({ name, value, line: index + 1 });
  });
  return { entries, problems };
}

/** Names whose values are credentials: they may only hold a placeholder in an example file. */
const SECRET_NAME = /PASSWORD|SECRET|_TOKEN$|PRIVATE|CREDENTIAL|API_KEY/;
/** The placeholder convention of infra/.env.example: the value says it must be replaced. */
export const PLACEHOLDER = /^change-me(?:-[a-z0-9-]+)?$/;

/**
 * The example lists exactly the variables the compose file reads, and no real secret: every credential
 * holds a `change-me…` placeholder.
 */
export function checkEnvExample(entries: readonly EnvEntry[], referenced: ReadonlySet<string>): Problem[] {
  const problems: Problem[] = [];
  const listed = new Set(entries.map((entry) => entry.name));
  for (const name of [...referenced].sort()) {
    if (!listed.has(name)) {
      problems.push({
        rule: 'env-listed',
        where: name,
        message: `${name} is read by the compose file but not listed`,
      });
    }
  }
  for (const entry of entries) {
    if (!referenced.has(entry.name)) {
      problems.push({
        rule: 'env-listed',
        where: `line ${entry.line}`,
        message: `${entry.name} is listed but the compose file never reads it`,
      });
    }
    if (SECRET_NAME.test(entry.name) && !PLACEHOLDER.test(entry.value)) {
      problems.push({
        rule: 'env-no-secret',
        where: `line ${entry.line}`,
        message: `${entry.name} must hold a placeholder (change-me…), not a value that could be a real secret`,
      });
    }
  }
  return problems;
}

/** Every variable appears in the document (the README) as inline code, `NAME`. */
export function checkDocumented(names: Iterable<string>, document: string, documentName: string): Problem[] {
  const problems: Problem[] = [];
  for (const name of names) {
    if (!document.includes(`\`${name}\``)) {
      problems.push({
        rule: 'env-documented',
        where: name,
        message: `${name} is not documented in ${documentName}`,
      });
    }
  }
  return problems;
}
