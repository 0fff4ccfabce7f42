import { createWriteStream } from 'node:fs';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { nafCodes, normalisePhone } from '../src/components/crm/rules/index.js';
import { luhnCheckDigit, seededRandom } from './lib/prospects.js';

/**
 * The rows of the import benchmark: a French prospect list as French Excel saves it, made by a seeded
 * generator (the same seed gives the same bytes). Companies have Luhn-valid SIRENs and SIRETs and real NAF
 * rév. 2 codes; people a first and last name, a work e-mail, often a mobile, a LinkedIn URL. About 5% of
 * rows are invalid (one bad value each: a SIREN key, an e-mail, a mobile, a NAF code) and about 5% repeat an
 * earlier row word for word; 15% of new rows are another person of a company seen shortly before.
 */

export const IMPORT_HEADERS = [
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

export type RowKind = 'new' | 'invalid' | 'duplicate';

// prettier-ignore
const FIRST_NAMES = [
  'Camille', 'Léa', 'Manon', 'Chloé', 'Inès', 'Sarah', 'Juliette', 'Élodie', 'Anaïs', 'Mathilde', 'Claire',
  'Céline', 'Sophie', 'Émilie', 'Nathalie', 'Hélène', 'Aurélie', 'Zoé', 'Gaëlle', 'Noémie', 'Lucas', 'Hugo',
  'Louis', 'Gabriel', 'Arthur', 'Jules', 'Théo', 'Nicolas', 'Julien', 'Thomas', 'Antoine', 'Maxime', 'Pierre',
  'François', 'Jérôme', 'Stéphane', 'Benoît', 'Frédéric', 'Sébastien', 'Loïc', 'Noël', 'Rémi',
];
const FEMALE = new Set(FIRST_NAMES.slice(0, 20));
// prettier-ignore
const LAST_NAMES = [
  'Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau',
  'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier',
  'Morel', 'Girard', 'André', 'Lefebvre', 'Mercier', 'Dupont', 'Lambert', 'Bonnet', 'François', 'Martinez',
  'Legrand', 'Garnier', 'Faure', 'Rousseau', 'Blanc', 'Guérin', 'Müller', 'Henry', 'Roussel', 'Dupré',
  'Perrin', 'Morin', 'Mathieu', 'Clément', 'Gauthier', 'Dumont', 'Lopez', 'Fontaine', 'Chevalier', 'Bœuf',
  'N’Diaye', 'Le Gall', 'Caron', 'Bérard',
];
/** City, postal code, the first two digits of its landlines. */
// prettier-ignore
const CITIES: readonly (readonly [string, string, string])[] = [
  ['Paris', '75008', '01'], ['Paris', '75011', '01'], ['Boulogne-Billancourt', '92100', '01'],
  ['Lyon', '69003', '04'], ['Marseille', '13008', '04'], ['Toulouse', '31000', '05'], ['Nice', '06000', '04'],
  ['Nantes', '44000', '02'], ['Strasbourg', '67000', '03'], ['Montpellier', '34000', '04'],
  ['Bordeaux', '33000', '05'], ['Lille', '59000', '03'], ['Rennes', '35000', '02'], ['Reims', '51100', '03'],
  ['Saint-Étienne', '42000', '04'], ['Le Havre', '76600', '02'], ['Grenoble', '38000', '04'],
  ['Besançon', '25000', '03'], ['Orléans', '45000', '02'], ['Nîmes', '30000', '04'],
  ['Clermont-Ferrand', '63000', '04'], ['Aix-en-Provence', '13100', '04'], ['Brest', '29200', '02'],
  ['Bourg-en-Bresse', '01000', '04'], ['Limoges', '87000', '05'],
];
// prettier-ignore
const STREETS = [
  'rue de la République', 'avenue Jean Jaurès', 'boulevard Victor Hugo', 'rue Pasteur', 'place de l’Église',
  'rue du Général de Gaulle', 'avenue de la Libération', 'rue des Écoles', 'quai d’Orsay', 'rue Nationale',
  'avenue des Champs-Élysées', 'chemin des Prés',
];
// prettier-ignore
const TRADES = [
  'Boulangerie', 'Transports', 'Menuiserie', 'Conseil', 'Informatique', 'Bâtiment', 'Imprimerie', 'Garage',
  'Cabinet', 'Laboratoires', 'Ateliers', 'Distribution', 'Énergies', 'Logistique', 'Agence', 'Études',
  'Œuvres', 'Crèche', 'Hôtel', 'Café', 'Forêts', 'Pâtisserie',
];
const LEGAL_FORMS = ['SAS', 'SARL', 'SA', 'EURL', 'SCOP', 'SASU', 'SCI'];
// prettier-ignore
const JOB_TITLES = [
  'Directeur général', 'Directrice générale', 'Directeur commercial', 'Directrice commerciale', 'DAF',
  'Responsable achats', 'Directeur des systèmes d’information', 'Responsable marketing', 'Gérant', 'Gérante',
  'Office manager', 'Responsable RH', 'Chef de projet', 'Président', 'Présidente', 'Chargée d’affaires',
];
const EMPLOYEE_RANGES = ['1 à 9', '10 à 19', '20 à 49', '50 à 99', '100 à 199', '200 à 499', '500 à 999'];

const ascii = (value: string) =>
  value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/œ/g, 'oe')
    .replace(/Œ/g, 'Oe')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const grouped = (digits: string) => digits.replace(/(\d{2})(?=\d)/g, '$1 ');
const thousands = (amount: number) => String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

interface Company {
  cells: string[];
  domain: string;
  people: number;
}

/** How many recent rows and companies are kept to be repeated (bounded: the generator's memory is flat). */
const RECENT = 20_000;

/**
 * A generator of import rows (cells as a CSV holds them, in IMPORT_HEADERS order) with what each row is meant
 * to be. `next()` gives the next row; the sequence depends only on the seed.
 */
export function importRows(seed: number): () => { cells: string[]; kind: RowKind } {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const naf = nafCodes('NAF_REV2');
  const recentRows: string[][] = [];
  const recentCompanies: Company[] = [];
  let companySerial = 0;
  let personSerial = 0;

  const phone = (prefix: string): string => {
    for (;;) {
      const national = `${prefix}${digits(8)}`;
      if (normalisePhone(national).ok) return grouped(national);
    }
  };
  const newCompany = (): Company => {
    companySerial += 1;
    // A bijection of the serial onto 8-digit bodies: every company has its own SIREN, no set needed.
    const body = String(10_000_000 + ((companySerial * 7919) % 89_999_999));
    const siren = body + luhnCheckDigit(body);
    const nicBody = `000${1 + Math.floor(random() * 9)}`;
    const siret = siren + nicBody + luhnCheckDigit(siren + nicBody);
    const [city, postalCode, landline] = pick(CITIES);
    const trade = pick(TRADES);
    const family = pick(LAST_NAMES);
    const name =
      random() < 0.05
        ? `${trade} "${family}" ${pick(LEGAL_FORMS)}`
        : `${trade} ${family} ${pick(LEGAL_FORMS)}`;
    const domain = `${ascii(`${trade}-${family}`)}-${companySerial.toString(36)}.fr`;
    const code = pick(naf);
    const revenue = 100_000 + Math.floor(random() * 500) * 100_000;
    return {
      domain,
      people: 0,
      cells: [
        random() < 0.5 ? siren : siren.replace(/(\d{3})(?=\d)/g, '$1 '),
        siret,
        name,
        random() < 0.7 ? code : code.replace('.', ''),
        `${1 + Math.floor(random() * 120)}, ${pick(STREETS)}`,
        postalCode,
        city,
        phone(landline),
        random() < 0.8 ? `https://www.${domain}` : `www.${domain}`,
        pick(EMPLOYEE_RANGES),
        `${thousands(revenue)} €`,
      ],
    };
  };

  const remember = <T>(list: T[], item: T) => {
    if (list.length < RECENT) list.push(item);
    else list[Math.floor(random() * RECENT)] = item;
  };

  return () => {
    if (recentRows.length > 0 && random() < 0.05) {
      return { cells: [...pick(recentRows)], kind: 'duplicate' };
    }
    const company = recentCompanies.length > 0 && random() < 0.15 ? pick(recentCompanies) : newCompany();
    if (company.people === 0) remember(recentCompanies, company);
    company.people += 1;
    personSerial += 1;
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const local = `${ascii(first)}.${ascii(last)}`.replace(/-/g, '');
    const suffix = company.people === 1 ? '' : String(company.people);
    const cells = [
      ...company.cells,
      FEMALE.has(first) ? 'Mme' : 'M.',
      first,
      last,
      pick(JOB_TITLES),
      `${local}${suffix}@${company.domain}`,
      random() < 0.6 ? phone(random() < 0.8 ? '06' : '07') : '',
      `https://www.linkedin.com/in/${ascii(`${first}-${last}`)}-${personSerial.toString(36)}`,
    ];
    let kind: RowKind = 'new';
    if (random() < 0.05) {
      kind = 'invalid';
      switch (Math.floor(random() * 4)) {
        case 0: {
          // A SIREN whose key digit is wrong (and the SIRET left out, so only the SIREN is at fault).
          const siren = (cells[0] as string).replace(/\s/g, '');
          cells[0] = siren.slice(0, 8) + String((Number(siren[8]) + 1) % 10);
          cells[1] = '';
          break;
        }
        case 1:
          cells[15] = (cells[15] as string).replace('@', '@@');
          break;
        case 2:
          cells[16] = `06 ${digits(2)} ${digits(2)}`;
          break;
        default:
          cells[3] = '99.99Z';
      }
    }
    remember(recentRows, cells);
    return { cells, kind };
  };
}

function csvLine(cells: readonly string[]): string {
  return cells.map((cell) => (/[";\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(';');
}

/**
 * The file as French Excel saves "CSV (séparateur : point-virgule)": Windows-1252, `;`, CRLF, a header row.
 * Made as it is read, about 64 KiB at a time: never the whole file in memory.
 */
export async function* frenchImportCsv(rows: number, seed: number): AsyncGenerator<Buffer> {
  const next = importRows(seed);
  let lines: string[] = [csvLine(IMPORT_HEADERS)];
  let length = 0;
  for (let i = 0; i < rows; i += 1) {
    const line = csvLine(next().cells);
    lines.push(line);
    length += line.length;
    if (length >= 64_000) {
      yield iconv.encode(`${lines.join('\r\n')}\r\n`, 'windows-1252');
      lines = [];
      length = 0;
    }
  }
  if (lines.length > 0) yield iconv.encode(`${lines.join('\r\n')}\r\n`, 'windows-1252');
}

/**
 * The same rows as an XLSX written by exceljs's streaming writer straight to `file` (shared strings, styles),
 * with SIRENs and postal codes as numbers (a `00000` format keeps the leading zero) as Excel stores them.
 */
export async function writeImportWorkbook(file: string, rows: number, seed: number): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: createWriteStream(file),
    useSharedStrings: true,
    useStyles: true,
  });
  const sheet = workbook.addWorksheet('Prospects');
  sheet.addRow([...IMPORT_HEADERS]).commit();
  const next = importRows(seed);
  for (let i = 0; i < rows; i += 1) {
    const cells: (string | number)[] = next().cells;
    const siren = String(cells[0]).replace(/\s/g, '');
    if (/^\d{9}$/.test(siren)) cells[0] = Number(siren);
    cells[5] = Number(cells[5]);
    const row = sheet.addRow(cells);
    row.getCell(6).numFmt = '00000';
    row.commit();
  }
  sheet.commit();
  await workbook.commit();
}
