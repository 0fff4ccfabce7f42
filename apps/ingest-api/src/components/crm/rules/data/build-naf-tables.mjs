// Regenerates naf-rev2.json and naf-2025.json from INSEE's published tables. Run once per INSEE release:
//   node build-naf-tables.mjs --rev2 <codes-naf index.json> --naf2025 <Structure NAF 2025 sheet as CSV>
// --rev2: the JSON array [{ id, label }] shipped by the npm package @socialgouv/codes-naf (INSEE NAF rév. 2,
//         every level; only the 732 sub-classes are kept).
// --naf2025: INSEE's "Structure de la NAF 2025" sheet saved as CSV with ';' separators and the columns
//         "NACE Rev.2.1";"NAF 2025 sous-classes";Intitulés (every level; only the 747 sub-classes are kept).
// The script refuses to write a table whose structure does not match the counts INSEE publishes.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const SUBCLASS = /^\d{2}\.\d{2}[A-Z]$/;

const { values } = parseArgs({
  options: { rev2: { type: 'string' }, naf2025: { type: 'string' }, help: { type: 'boolean' } },
});
if (values.help || !values.rev2 || !values.naf2025) {
  console.log('usage: node build-naf-tables.mjs --rev2 <codes-naf index.json> --naf2025 <structure.csv>');
  process.exit(values.help ? 0 : 2);
}

/** The number of distinct divisions, groups and classes above a set of sub-class codes. */
function structureOf(codes) {
  return {
    divisions: new Set(codes.map((code) => code.slice(0, 2))).size,
    groups: new Set(codes.map((code) => code.slice(0, 4))).size,
    classes: new Set(codes.map((code) => code.slice(0, 5))).size,
    subclasses: codes.length,
  };
}

function assertStructure(name, codes, expected) {
  const actual = structureOf(codes);
  for (const [level, count] of Object.entries(expected)) {
    if (actual[level] !== count) {
      throw new Error(`${name}: ${actual[level]} ${level}, INSEE publishes ${count}`);
    }
  }
  if (new Set(codes).size !== codes.length) throw new Error(`${name}: duplicate sub-class codes`);
}

/** Splits one line of INSEE's ';' CSV, where a field holding ';' is double-quoted. */
function splitCsvLine(line) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (char === ';' && !quoted) {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields;
}

const rev2Rows = JSON.parse(readFileSync(values.rev2, 'utf8')).filter((row) => SUBCLASS.test(row.id));
const rev2 = Object.fromEntries(rev2Rows.map((row) => [row.id, row.label.trim()]));
assertStructure('NAF rév. 2', Object.keys(rev2), {
  divisions: 88,
  groups: 272,
  classes: 615,
  subclasses: 732,
});

const naf2025Lines = readFileSync(values.naf2025, 'utf8')
  .replace(/^\uFEFF/, '')
  .split(/\r?\n/)
  .slice(1);
const naf2025Rows = naf2025Lines
  .filter((line) => line.trim() !== '')
  .map(splitCsvLine)
  .filter(([, code]) => SUBCLASS.test(code ?? ''));
const naf2025 = Object.fromEntries(naf2025Rows.map(([, code, label]) => [code, label.trim()]));
assertStructure('NAF 2025', Object.keys(naf2025), {
  divisions: 87,
  groups: 287,
  classes: 651,
  subclasses: 747,
});

function write(file, nomenclature, meta, subclasses) {
  const sorted = Object.fromEntries(Object.entries(subclasses).sort(([a], [b]) => a.localeCompare(b)));
  const body = { nomenclature, ...meta, subclasses: sorted };
  writeFileSync(path.join(here, file), `${JSON.stringify(body, null, 2)}\n`);
  console.log(`${file}: ${Object.keys(sorted).length} sub-classes`);
}

write(
  'naf-rev2.json',
  'NAF_REV2',
  {
    title: 'NAF rév. 2 (2008), niveau 5 : sous-classes',
    publisher: 'INSEE',
    source: 'https://www.insee.fr/fr/information/2120875',
    inForce: '2008-01-01',
    licence: 'Licence Ouverte / Etalab 2.0',
  },
  rev2,
);
write(
  'naf-2025.json',
  'NAF_2025',
  {
    title: 'NAF 2025, niveau 5 : sous-classes',
    publisher: 'INSEE',
    source: 'https://www.insee.fr/fr/information/8181066',
    inForce: '2027-01-01',
    licence: 'Licence Ouverte / Etalab 2.0',
  },
  naf2025,
);
