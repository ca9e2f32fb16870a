// Pasted text is redacted before anything is printed, by the same rule set as the report
// (core/redact.ts): passwords in URLs and key=value strings, PGPASSWORD=…, DB_PASS=…, pwd=…,
// `password => "…"`, `"password": "…"`, JWTs, SigV4 signatures and credentials, Authorization
// headers. Every secret found anywhere in the paste is also masked wherever else it appears.
// Linear in the text (see findSecrets).
import {maskSecretForms, maskValues, redact, secretsInText} from '../core/redact.js'
import {inertLine} from '../core/escape.js'

/** Every secret the text shows (to be masked wherever it appears), longest first. */
export function pastedSecrets(text: string): string[] {
  return secretsInText(text)
}

/** Text with every secret masked: the ones found in the whole paste, then the forms in this text. */
export function redactPasted(text: string, secrets: readonly string[]): string {
  return redact(maskSecretForms(maskValues(text, secrets)))
}

/** Control characters (terminal escapes, NUL, CR, bidi overrides…) shown escaped, never interpreted (the shared escaping). */
export function inert(text: string): string {
  return inertLine(text)
}
