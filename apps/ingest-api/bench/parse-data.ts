import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';

/**
 * Prospect rows as a French Excel export has them (the columns of a Pharow list, French headers), from a
 * seeded generator: the same seed gives the same rows. Values are plausible, not checked (SIREN keys pass
 * Luhn; phones, e-mails and postcodes have the right shape).
 */

export const HEADERS = [
  'SIREN',
  'SIRET siège',
  'Raison sociale',
  'Code NAF',
  'Adresse',
  'Code postal',
  'Ville',
  'Téléphone standard',
  'Site web',
  'Effectif',
  'Chiffre d’affaires',
  'Civilité',
  'Prénom',
  'Nom',
  'Fonction',
  'E-mail',
  'Téléphone portable',
  'LinkedIn',
] as const;

const FIRST = [
  'Léa',
  'Zoé',
  'Chloé',
  'Noël',
  'Hélène',
  'Jérôme',
  'François',
  'Amélie',
  'Benoît',
  'Gaëlle',
  'Loïc',
  'Inès',
  'Thomas',
  'Camille',
];
const LAST = [
  'Dupré',
  'Lefèvre',
  'Bérard',
  'N’Diaye',
  'Moreau',
  'Girard',
  'Rousseau',
  'Fontaine',
  'Chevalier',
  'Mercier',
  'Bœuf',
  'Faure',
];
const CITY: readonly [string, string][] = [
  ['75002', 'Paris'],
  ['69003', 'Lyon'],
  ['13001', 'Marseille'],
  ['06000', 'Nice'],
  ['25000', 'Besançon'],
  ['45000', 'Orléans'],
  ['59000', 'Lille'],
  ['33000', 'Bordeaux'],
  ['01000', 'Bourg-en-Bresse'],
  ['97400', 'Saint-Denis'],
];
const STREET = [
  'rue de la Paix',
  'avenue des Champs-Élysées',
  'boulevard Saint-Michel',
  'place de l’Église',
  'quai d’Orsay',
];
const WORDS = [
  'Œuvres',
  'Atelier',
  'Conseil',
  'Bâtiment',
  'Études',
  'Café',
  'Société',
  'Crèche',
  'Forêt',
  'Hôtel',
];
const NAF = ['62.01Z', '70.22Z', '43.21A', '56.10A', '47.11F', '69.20Z', '71.12B'];
const JOBS = [
  'Directeur général',
  'Responsable achats',
  'Gérante',
  'Directrice marketing',
  'Chef de projet',
  'DSI',
];
const RANGES = ['1-9', '10-49', '50-249', '250-999'];

/** mulberry32. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function luhnKey(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

function ascii(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[’œ]/g, (c) => (c === 'œ' ? 'oe' : ''))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

/** One row of values (text, as a CSV holds them). */
export function prospectRows(seed: number): () => string[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  let serial = 0;
  return () => {
    serial += 1;
    const base = String(100_000_00 + serial).padStart(8, '0');
    const siren = base + luhnKey(base);
    const nic = `0001${luhnKey(`${siren}0001`)}`;
    const [postcode, city] = pick(CITY);
    const company = `${pick(WORDS)} ${pick(LAST)} ${serial}`;
    const first = pick(FIRST);
    const last = pick(LAST);
    const domain = `${ascii(company)}.fr`;
    return [
      siren,
      siren + nic,
      company,
      pick(NAF),
      `${1 + Math.floor(next() * 120)}, ${pick(STREET)}`,
      postcode,
      city,
      `0${1 + Math.floor(next() * 5)} ${String(Math.floor(next() * 1e8))
        .padStart(8, '0')
        .replace(/(\d\d)(?=\d)/g, '$1 ')}`,
      `https://www.${domain}`,
      pick(RANGES),
      `${Math.floor(next() * 50_000)} 000 €`,
      next() < 0.5 ? 'M.' : 'Mme',
      first,
      last,
      pick(JOBS),
      `${ascii(first)}.${ascii(last)}@${domain}`,
      `06 ${String(Math.floor(next() * 1e8))
        .padStart(8, '0')
        .replace(/(\d\d)(?=\d)/g, '$1 ')}`,
      `https://www.linkedin.com/in/${ascii(first)}-${ascii(last)}-${serial}`,
    ];
  };
}

function csvLine(cells: readonly string[]): string {
  return cells.map((cell) => (/[";\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(';');
}

/**
 * A French Excel CSV (Windows-1252, `;`, CRLF) of `rows` data rows, made as it is read: about 64 KiB a chunk,
 * never the whole file.
 */
export async function* frenchCsv(rows: number, seed = 42): AsyncGenerator<Buffer> {
  const next = prospectRows(seed);
  let lines: string[] = [csvLine(HEADERS)];
  let length = 0;
  for (let i = 0; i < rows; i += 1) {
    const line = csvLine(next());
    lines.push(line);
    length += line.length;
    if (length >= 60_000) {
      yield iconv.encode(`${lines.join('\r\n')}\r\n`, 'windows-1252');
      lines = [];
      length = 0;
    }
  }
  if (lines.length > 0) yield iconv.encode(`${lines.join('\r\n')}\r\n`, 'windows-1252');
}

/**
 * An XLSX of `rows` data rows written by exceljs's streaming writer, as Excel lays it out (sheet first,
 * shared strings after, sizes in data descriptors), with SIREN and postcodes as numbers, a date column and
 * a `00000` postcode format.
 */
export async function prospectWorkbook(rows: number, seed = 42): Promise<Buffer> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: output,
    useSharedStrings: true,
    useStyles: true,
  });
  const sheet = workbook.addWorksheet('Prospects');
  sheet.addRow([...HEADERS, 'Créé le']).commit();
  const next = prospectRows(seed);
  for (let i = 0; i < rows; i += 1) {
    const cells: (string | number | Date)[] = next();
    cells[0] = Number(cells[0]);
    cells[5] = Number(cells[5]);
    cells.push(new Date(Date.UTC(2024, 0, 1 + (i % 365))));
    const row = sheet.addRow(cells);
    row.getCell(6).numFmt = '00000';
    row.getCell(19).numFmt = 'dd/mm/yyyy';
    row.commit();
  }
  sheet.commit();
  await workbook.commit();
  return Buffer.concat(chunks);
}
