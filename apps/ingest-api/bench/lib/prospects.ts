import { createHash } from 'node:crypto';
import { nafCodes, nafLabel, normalisePhone } from '../../src/components/crm/rules/index.js';

/**
 * A deterministic generator of prospect records as a Pharow export gives them: French companies with
 * Luhn-valid SIRENs and SIRETs, real NAF rév. 2 codes, phone numbers, addresses; people with a position and a
 * work e-mail. The same seed always gives the same records.
 */

export interface ProspectRecord {
  company: Record<string, string>;
  person: Record<string, string>;
  position: Record<string, string>;
}

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The Luhn check digit that makes `digits` + it pass (INSEE's SIREN and SIRET key). */
export function luhnCheckDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    // Doubling starts from the rightmost digit of the payload, which is second from the right once keyed.
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

// prettier-ignore
const FIRST_NAMES = [
  'Camille', 'Léa', 'Manon', 'Chloé', 'Inès', 'Sarah', 'Juliette', 'Élodie', 'Anaïs', 'Mathilde', 'Claire',
  'Céline', 'Sophie', 'Émilie', 'Nathalie', 'Isabelle', 'Hélène', 'Aurélie', 'Lucas', 'Hugo', 'Louis',
  'Gabriel', 'Arthur', 'Jules', 'Théo', 'Nicolas', 'Julien', 'Thomas', 'Antoine', 'Maxime', 'Pierre',
  'François', 'Jérôme', 'Stéphane', 'Benoît', 'Frédéric', 'Sébastien', 'Olivier', 'Guillaume', 'Rémi',
];
const FEMALE = new Set(FIRST_NAMES.slice(0, 18));
// prettier-ignore
const LAST_NAMES = [
  'Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau',
  'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier',
  'Morel', 'Girard', 'André', 'Lefebvre', 'Mercier', 'Dupont', 'Lambert', 'Bonnet', 'François', 'Martinez',
  'Legrand', 'Garnier', 'Faure', 'Rousseau', 'Blanc', 'Guérin', 'Muller', 'Henry', 'Roussel', 'Nicolas',
  'Perrin', 'Morin', 'Mathieu', 'Clément', 'Gauthier', 'Dumont', 'Lopez', 'Fontaine', 'Chevalier', 'Robin',
];
/** City, postal code, the first digits of its landline numbers. */
// prettier-ignore
const CITIES: readonly (readonly [string, string, string])[] = [
  ['Paris', '75008', '01'], ['Paris', '75011', '01'], ['Boulogne-Billancourt', '92100', '01'],
  ['Lyon', '69003', '04'], ['Marseille', '13008', '04'], ['Toulouse', '31000', '05'], ['Nice', '06000', '04'],
  ['Nantes', '44000', '02'], ['Strasbourg', '67000', '03'], ['Montpellier', '34000', '04'],
  ['Bordeaux', '33000', '05'], ['Lille', '59000', '03'], ['Rennes', '35000', '02'], ['Reims', '51100', '03'],
  ['Saint-Étienne', '42000', '04'], ['Le Havre', '76600', '02'], ['Grenoble', '38000', '04'],
  ['Dijon', '21000', '03'], ['Angers', '49000', '02'], ['Nîmes', '30000', '04'], ['Clermont-Ferrand', '63000', '04'],
  ['Aix-en-Provence', '13100', '04'], ['Brest', '29200', '02'], ['Tours', '37000', '02'], ['Limoges', '87000', '05'],
];
// prettier-ignore
const STREETS = [
  'rue de la République', 'avenue Jean Jaurès', 'boulevard Victor Hugo', 'rue Pasteur', 'place de la Gare',
  'rue du Général de Gaulle', 'avenue de la Libération', 'rue des Écoles', 'quai Saint-Antoine', 'rue Nationale',
];
// prettier-ignore
const TRADES = [
  'Boulangerie', 'Transports', 'Menuiserie', 'Conseil', 'Informatique', 'Bâtiment', 'Imprimerie', 'Garage',
  'Cabinet', 'Laboratoires', 'Ateliers', 'Distribution', 'Énergies', 'Logistique', 'Agence', 'Études',
];
const LEGAL_FORMS = ['SAS', 'SARL', 'SA', 'EURL', 'SCOP', 'SASU'];
// prettier-ignore
const JOB_TITLES = [
  'Directeur général', 'Directrice générale', 'Directeur commercial', 'Directrice commerciale', 'DAF',
  'Responsable achats', 'Directeur des systèmes d’information', 'Responsable marketing', 'Gérant', 'Gérante',
  'Office manager', 'Responsable RH', 'Chef de projet', 'Président', 'Présidente',
];
const EMPLOYEE_RANGES = ['1-9', '10-19', '20-49', '50-99', '100-199', '200-499', '500-999'];
const EMAIL_STATUSES = ['valid', 'valid', 'valid', 'risky', 'catch_all'];

const ascii = (value: string) =>
  value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const spaced = (amount: number) => String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/**
 * `count` records; from the second on, each repeats the company of an earlier record with probability
 * `repeatShare` (the same company as the export would list it again), else brings a new one.
 */
export function generateProspects(options: {
  count: number;
  seed: number;
  repeatShare?: number;
}): ProspectRecord[] {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const naf = nafCodes('NAF_REV2');
  const sirens = new Set<string>();
  const emails = new Set<string>();
  const repeatShare = options.repeatShare ?? 0.2;

  const phone = (prefix: string): string => {
    for (;;) {
      const national = `${prefix}${digits(8)}`;
      if (normalisePhone(national).ok) return national.replace(/(\d{2})(?=\d)/g, '$1 ');
    }
  };
  const newCompany = (n: number): Record<string, string> => {
    let siren: string;
    do {
      const body = `${1 + Math.floor(random() * 9)}${digits(7)}`;
      siren = body + luhnCheckDigit(body);
    } while (sirens.has(siren) || siren === '356000000');
    sirens.add(siren);
    const nicBody = `000${digits(1)}`;
    const siret = siren + nicBody + luhnCheckDigit(siren + nicBody);
    const [city, postalCode, landline] = pick(CITIES);
    const name = `${pick(TRADES)} ${pick(LAST_NAMES)} ${pick(LEGAL_FORMS)}`;
    const slug = `${ascii(name)}-${n}`;
    const code = pick(naf);
    const revenue = 100_000 + Math.floor(random() * 500) * 100_000;
    const company: Record<string, string> = {
      pharowCompanyId: `ph-${siren}`,
      companyName: name,
      companySiren: random() < 0.5 ? siren : siren.replace(/(\d{3})(?=\d)/g, '$1 '),
      companyHqSiret: siret,
      companyNafSector:
        random() < 0.7 ? `${code} - ${nafLabel(code, 'NAF_REV2') ?? ''}` : code.replace('.', ''),
      companyUrl: `https://www.${slug}.fr/${random() < 0.3 ? '?utm_source=pharow' : ''}`,
      companyLinkedinUrl: `https://www.linkedin.com/company/${slug}/`,
      companyMainPhone: phone(landline),
      companyHqFullAddress: `${1 + Math.floor(random() * 120)} ${pick(STREETS)}, ${postalCode} ${city}`,
      companyHqPostalCode: postalCode,
      companyHqCity: city,
      companyAnnualRevenueEuros: `${spaced(revenue)} €`,
      companyEmployeeRangeCorrected: pick(EMPLOYEE_RANGES),
    };
    if (random() < 0.4) company['companyGenericEmail'] = `contact@${slug}.fr`;
    return company;
  };

  const records: ProspectRecord[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const company =
      i > 0 && random() < repeatShare
        ? (records[Math.floor(random() * i)] as ProspectRecord).company
        : newCompany(i);
    const firstName = pick(FIRST_NAMES);
    const lastName = pick(LAST_NAMES);
    const domain = new URL(company['companyUrl'] as string).hostname.replace(/^www\./, '');
    let email = `${`${ascii(firstName)}.${ascii(lastName)}`.replace(/-/g, '')}@${domain}`;
    for (let n = 2; emails.has(email); n += 1) email = email.replace(/\d*@/, `${n}@`);
    emails.add(email);
    const person: Record<string, string> = {
      personSalutation: FEMALE.has(firstName) ? 'Mme' : 'M.',
      personFirstName: firstName,
      personLastName: lastName,
      personLinkedinUrl: `https://fr.linkedin.com/in/${ascii(`${firstName}-${lastName}`)}-${i.toString(36)}/`,
    };
    if (random() < 0.5) person['personMobilePhone'] = phone('06');
    records.push({
      company,
      person,
      position: {
        positionJobTitle: pick(JOB_TITLES),
        positionEmail: email,
        positionEmailStatus: pick(EMAIL_STATUSES),
        positionEmailReliability: `${50 + Math.floor(random() * 50)}%`,
      },
    });
  }
  return records;
}

/** A short digest of records, printed so that two runs can be seen to have used the same data. */
export function digest(records: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(records)).digest('hex').slice(0, 12);
}
