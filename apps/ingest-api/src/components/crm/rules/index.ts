export {
  RULE_CODES,
  RULE_ERROR_CODES,
  RULE_WARNING_CODES,
  severityOf,
  type RuleCode,
  type RuleErrorCode,
  type RuleProblem,
  type RuleResult,
  type RuleSeverity,
  type RuleWarningCode,
} from './rule-result.js';
export { checkText } from './text.js';
export { normaliseSiren } from './siren.js';
export { normaliseSiret, sirenOfSiret } from './siret.js';
export { vatNumberFromSiren } from './vat-number.js';
export {
  NAF_2025_IN_FORCE,
  nafCodes,
  nafLabel,
  normaliseNaf,
  type NafCode,
  type NafNomenclature,
} from './naf.js';
export { normalisePhone } from './phone.js';
export { isValidEmailSyntax, normaliseEmail, type NormalisedEmail } from './email.js';
export { isDisposableDomain } from './disposable-domains.js';
export { normaliseDomain, normaliseUrl, type NormalisedUrl } from './url.js';
export { normaliseLinkedinUrl, type LinkedinKind } from './linkedin.js';
