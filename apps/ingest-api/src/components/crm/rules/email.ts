import { domainToASCII } from 'node:url';

import validator from 'validator';

import { isDisposableDomain } from './disposable-domains.js';
import { accept, reject, warn, type RuleProblem, type RuleResult } from './rule-result.js';
import { requireText } from './text.js';

const MAX_INPUT_LENGTH = 320;
/** RFC 5321 §4.5.3.1: 64 octets for the local part; 254 for the whole address once a path's <> are off. */
const MAX_LOCAL_PART_OCTETS = 64;
const MAX_ADDRESS_OCTETS = 254;

export interface NormalisedEmail {
  email: string;
  disposable: boolean;
  role: boolean;
}

/**
 * Local parts that name a function, not a person, in French and English. A local part is a role address
 * when it is one of these words, or starts with one followed by `.`, `-` or `_` (`contact.paris`,
 * `rh-lyon`); a `+tag` is ignored.
 */
const ROLE_WORDS: ReadonlySet<string> = new Set([
  'abuse',
  'accounting',
  'accounts',
  'accueil',
  'achats',
  'admin',
  'administratif',
  'administration',
  'aide',
  'assistance',
  'billing',
  'bonjour',
  'booking',
  'candidature',
  'candidatures',
  'careers',
  'carrieres',
  'client',
  'clients',
  'com',
  'commande',
  'commandes',
  'commercial',
  'commerciale',
  'communication',
  'compta',
  'comptabilite',
  'contact',
  'contacts',
  'courrier',
  'customerservice',
  'devis',
  'direction',
  'do-not-reply',
  'donotreply',
  'dpo',
  'drh',
  'email',
  'emploi',
  'enquiries',
  'equipe',
  'facturation',
  'facture',
  'factures',
  'finance',
  'gdpr',
  'hello',
  'help',
  'helpdesk',
  'hostmaster',
  'hr',
  'info',
  'information',
  'informations',
  'infos',
  'invoice',
  'invoices',
  'jobs',
  'juridique',
  'legal',
  'mail',
  'marketing',
  'ne-pas-repondre',
  'nepasrepondre',
  'newsletter',
  'no-reply',
  'noreply',
  'notifications',
  'office',
  'order',
  'orders',
  'partenariat',
  'partenariats',
  'postmaster',
  'presse',
  'press',
  'privacy',
  'reception',
  'recrutement',
  'recruitment',
  'reservation',
  'reservations',
  'rgpd',
  'rh',
  'sales',
  'sav',
  'secretariat',
  'security',
  'securite',
  'service-client',
  'serviceclient',
  'support',
  'team',
  'vente',
  'ventes',
  'webmaster',
  'welcome',
]);

/** Words that mark a role only as the whole local part: `com.dupont@` or `mail.jean@` name a person. */
const WHOLE_LOCAL_PART_ONLY: ReadonlySet<string> = new Set(['com', 'email', 'mail']);

function isRoleLocalPart(localPart: string): boolean {
  const lower = localPart.toLowerCase().replace(/\+.*$/, '');
  if (ROLE_WORDS.has(lower)) return true;
  const firstWord = /^([a-z]+)[._-]/.exec(lower)?.[1];
  return firstWord !== undefined && ROLE_WORDS.has(firstWord) && !WHOLE_LOCAL_PART_ONLY.has(firstWord);
}

function octets(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * An e-mail address, trimmed, with its domain lower-cased and converted to ASCII (IDNA: `jean@café.fr`
 * becomes `jean@xn--caf-dma.fr`) and its local part kept as typed (the column is citext). The syntax is
 * validator's `isEmail` on that ASCII form, with a TLD required, no IP domain and no display name; the
 * local part is at most 64 octets and the address 254. A leading `mailto:` and surrounding `<>` are
 * removed. Disposable-mail domains and role addresses (`contact@`, `rh@`…) are kept with a warning each.
 */
export function normaliseEmail(input: string): RuleResult<NormalisedEmail> {
  const text = requireText(input, MAX_INPUT_LENGTH, 'e-mail address');
  if (!text.ok) return text;
  const written = text.value.replace(/^mailto:/i, '').replace(/^<(.*)>$/, '$1');
  const at = written.lastIndexOf('@');
  if (at <= 0 || at === written.length - 1) {
    return reject('invalid_email', 'An e-mail address needs a name, an @ and a domain.');
  }
  const localPart = written.slice(0, at);
  const domain = domainToASCII(
    written
      .slice(at + 1)
      .replace(/\.$/, '')
      .toLowerCase(),
  );
  if (domain === '')
    return reject('invalid_email', 'The domain of the e-mail address is not a valid host name.');
  if (octets(localPart) > MAX_LOCAL_PART_OCTETS) {
    return reject('email_too_long', `The part before the @ is over ${MAX_LOCAL_PART_OCTETS} bytes long.`);
  }
  const email = `${localPart}@${domain}`;
  if (octets(email) > MAX_ADDRESS_OCTETS) {
    return reject('email_too_long', `The e-mail address is over ${MAX_ADDRESS_OCTETS} bytes long.`);
  }
  const valid = validator.isEmail(email, {
    allow_display_name: false,
    allow_ip_domain: false,
    allow_utf8_local_part: true,
    require_tld: true,
    ignore_max_length: false,
  });
  if (!valid) return reject('invalid_email', 'Not a valid e-mail address.');

  const disposable = isDisposableDomain(domain);
  const role = isRoleLocalPart(localPart);
  const warnings: RuleProblem[] = [];
  if (disposable)
    warnings.push(warn('disposable_email', 'The domain belongs to a disposable-mail provider.'));
  if (role) warnings.push(warn('role_email', 'A role address (a function, not a person).'));
  return accept({ email, disposable, role }, warnings);
}

/** Whether `input` is an e-mail address `normaliseEmail` accepts (warnings do not matter). */
export function isValidEmailSyntax(input: string): boolean {
  return normaliseEmail(input).ok;
}
