/**
 * The fields a prospect record can carry, in one catalogue used by JSON ingest, PATCH, file import mapping
 * and OpenAPI: the API's own name, the column, the names of a Pharow export, and how the value is checked.
 */
export type Entity = 'company' | 'person' | 'position';

export type FieldKind =
  | 'text'
  | 'siren'
  | 'siret'
  | 'naf'
  | 'phone'
  | 'email'
  | 'url'
  | 'domain'
  | 'linkedin'
  | 'country'
  | 'salutation'
  | 'email_status'
  | 'percent'
  | 'euros';

export interface FieldSpec {
  entity: Entity;
  /** The API's name, in `company`, `person` or `position` of a record and in CRM responses. */
  name: string;
  column: string;
  kind: FieldKind;
  /** Longest accepted text (characters), after trimming. */
  maxLength: number;
  /** Other names of the same field in a record: the columns of a Pharow export. */
  aliases: readonly string[];
  /** Column headers people write for it in spreadsheets, French and English (file imports). */
  headers: readonly string[];
}

const field = (
  entity: Entity,
  name: string,
  column: string,
  kind: FieldKind,
  maxLength: number,
  aliases: readonly string[],
  headers: readonly string[] = [],
): FieldSpec => ({ entity, name, column, kind, maxLength, aliases, headers });

export const COMPANY_FIELDS: readonly FieldSpec[] = [
  field(
    'company',
    'pharowCompanyId',
    'pharow_company_id',
    'text',
    100,
    [],
    ['pharow id', 'id pharow', 'identifiant pharow'],
  ),
  field(
    'company',
    'siren',
    'siren',
    'siren',
    30,
    ['companySiren'],
    ['siren', 'numero siren', 'siren entreprise', 'siren societe'],
  ),
  field(
    'company',
    'hqSiret',
    'hq_siret',
    'siret',
    40,
    ['companyHqSiret'],
    ['siret', 'siret siege', 'siret du siege', 'siret entreprise'],
  ),
  field(
    'company',
    'name',
    'name',
    'text',
    500,
    ['companyName'],
    [
      'entreprise',
      'societe',
      'raison sociale',
      'nom entreprise',
      'nom de l entreprise',
      'nom societe',
      'denomination',
      'denomination sociale',
      'company',
      'company name',
      'organisation',
      'organization',
      'account name',
    ],
  ),
  field(
    'company',
    'brandName',
    'brand_name',
    'text',
    500,
    ['companyBrandName'],
    ['enseigne', 'marque', 'nom commercial', 'brand', 'brand name'],
  ),
  field(
    'company',
    'nafCode',
    'naf_code',
    'naf',
    200,
    ['companyNafSector', 'companyNafCode'],
    ['naf', 'code naf', 'ape', 'code ape', 'code naf ape', 'naf code', 'ape code'],
  ),
  field(
    'company',
    'activity',
    'activity',
    'text',
    1000,
    ['companyActivity'],
    ['activite', 'secteur', 'secteur activite', 'activity', 'industry', 'sector'],
  ),
  field(
    'company',
    'employeeRange',
    'employee_range',
    'text',
    50,
    ['companyEmployeeRangeCorrected', 'companyEmployeeRange'],
    [
      'effectif',
      'tranche effectif',
      'employees',
      'effectifs',
      'tranche effectifs',
      'nombre salaries',
      'taille entreprise',
      'company size',
      'headcount',
    ],
  ),
  field(
    'company',
    'annualRevenueEur',
    'annual_revenue_eur',
    'euros',
    40,
    ['companyAnnualRevenueEuros'],
    ['chiffre affaires', 'ca', 'revenue', 'ca annuel', 'annual revenue', 'turnover'],
  ),
  field(
    'company',
    'mainPhone',
    'main_phone',
    'phone',
    40,
    ['companyMainPhone'],
    [
      'telephone entreprise',
      'standard',
      'telephone standard',
      'telephone societe',
      'tel entreprise',
      'tel standard',
      'company phone',
    ],
  ),
  field(
    'company',
    'genericEmail',
    'generic_email',
    'email',
    320,
    ['companyGenericEmail'],
    [
      'email entreprise',
      'email generique',
      'email societe',
      'mail entreprise',
      'email contact entreprise',
      'company email',
    ],
  ),
  field(
    'company',
    'websiteUrl',
    'website_url',
    'url',
    2000,
    ['companyUrl', 'companyWebsite'],
    ['site web', 'site internet', 'website', 'url', 'site', 'web', 'site entreprise', 'website url'],
  ),
  field(
    'company',
    'domain',
    'domain',
    'domain',
    253,
    ['companyDomain'],
    ['domaine', 'domain', 'nom domaine', 'domaine web', 'domain name'],
  ),
  field(
    'company',
    'linkedinUrl',
    'linkedin_url',
    'linkedin',
    2000,
    ['companyLinkedinUrl'],
    [
      'linkedin entreprise',
      'company linkedin',
      'linkedin societe',
      'page linkedin',
      'url linkedin entreprise',
      'company linkedin url',
    ],
  ),
  field(
    'company',
    'hqAddress',
    'hq_address',
    'text',
    500,
    ['companyHqFullAddress', 'companyHqAddress'],
    ['adresse', 'address', 'adresse siege', 'adresse postale', 'rue', 'street', 'street address'],
  ),
  field(
    'company',
    'hqPostalCode',
    'hq_postal_code',
    'text',
    20,
    ['companyHqPostalCode'],
    ['code postal', 'cp', 'postal code', 'zip', 'zip code', 'postcode', 'code postal siege'],
  ),
  field(
    'company',
    'hqCity',
    'hq_city',
    'text',
    200,
    ['companyHqCity'],
    ['ville', 'city', 'commune', 'ville siege', 'town'],
  ),
  field(
    'company',
    'hqCountry',
    'hq_country',
    'country',
    60,
    ['companyHqCountry', 'companyCountry'],
    ['pays', 'country', 'pays siege'],
  ),
];

export const PERSON_FIELDS: readonly FieldSpec[] = [
  field(
    'person',
    'firstName',
    'first_name',
    'text',
    200,
    ['personFirstName'],
    ['prenom', 'first name', 'firstname', 'given name', 'prenom contact'],
  ),
  field(
    'person',
    'lastName',
    'last_name',
    'text',
    200,
    ['personLastName'],
    ['nom', 'last name', 'nom de famille', 'lastname', 'surname', 'family name', 'nom contact'],
  ),
  field(
    'person',
    'salutation',
    'salutation',
    'salutation',
    20,
    ['personSalutation', 'personCivility'],
    ['civilite', 'salutation', 'genre', 'mr mme'],
  ),
  field(
    'person',
    'linkedinUrl',
    'linkedin_url',
    'linkedin',
    2000,
    ['personLinkedinUrl'],
    [
      'linkedin',
      'profil linkedin',
      'linkedin url',
      'url linkedin',
      'lien linkedin',
      'linkedin profile',
      'url profil linkedin',
    ],
  ),
  field(
    'person',
    'mobilePhone',
    'mobile_phone',
    'phone',
    40,
    ['personMobilePhone', 'personPhone'],
    [
      'mobile',
      'portable',
      'telephone',
      'telephone portable',
      'telephone mobile',
      'tel portable',
      'tel mobile',
      'tel',
      'gsm',
      'phone',
      'mobile phone',
      'phone number',
    ],
  ),
];

export const POSITION_FIELDS: readonly FieldSpec[] = [
  field(
    'position',
    'jobTitle',
    'job_title',
    'text',
    300,
    ['positionJobTitle', 'positionTitle'],
    [
      'poste',
      'fonction',
      'job title',
      'intitule poste',
      'titre poste',
      'poste occupe',
      'role',
      'position',
      'job',
    ],
  ),
  field(
    'position',
    'email',
    'email',
    'email',
    320,
    ['positionEmail', 'personEmail'],
    [
      'email',
      'e-mail',
      'courriel',
      'mail',
      'adresse email',
      'adresse e-mail',
      'adresse mail',
      'email professionnel',
      'email pro',
      'mail pro',
      'work email',
      'email address',
    ],
  ),
  field(
    'position',
    'emailStatus',
    'email_status',
    'email_status',
    40,
    ['positionEmailStatus'],
    ['statut email', 'email status'],
  ),
  field(
    'position',
    'emailReliability',
    'email_reliability',
    'percent',
    10,
    ['positionEmailReliability'],
    ['fiabilite email', 'email reliability'],
  ),
  field('position', 'source', 'source', 'text', 200, ['positionSource'], ['source']),
  field(
    'position',
    'sourceList',
    'source_list',
    'text',
    200,
    ['positionSourceList', 'listName'],
    ['liste', 'source list'],
  ),
];

export const FIELDS_BY_ENTITY: Readonly<Record<Entity, readonly FieldSpec[]>> = {
  company: COMPANY_FIELDS,
  person: PERSON_FIELDS,
  position: POSITION_FIELDS,
};

/** Every accepted name of a field (its own and its aliases) to the field, per entity. */
export const FIELD_NAMES: Readonly<Record<Entity, ReadonlyMap<string, FieldSpec>>> = {
  company: indexByName(COMPANY_FIELDS),
  person: indexByName(PERSON_FIELDS),
  position: indexByName(POSITION_FIELDS),
};

function indexByName(fields: readonly FieldSpec[]): ReadonlyMap<string, FieldSpec> {
  const map = new Map<string, FieldSpec>();
  for (const spec of fields) {
    map.set(spec.name, spec);
    for (const alias of spec.aliases) map.set(alias, spec);
  }
  return map;
}
