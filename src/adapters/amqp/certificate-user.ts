import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { derFromPem } from '../../modules/trust/pki/certificate-facts';

/**
 * The broker user an AMQPS client certificate logs in as with EXTERNAL. RabbitMQ's
 * `rabbitmq_auth_mechanism_ssl` (`ssl_cert_login_from = distinguished_name`) names the user by the
 * certificate's subject, written as `rabbit_cert_info:format_rdn_sequence` writes it: the RDNs in
 * reverse order joined by `,`, short names for the usual attribute types (dotted OIDs for others),
 * values in UTF-8 with `" + , ; < > \` escaped by a backslash, a leading space or `#` and a
 * trailing space too, and every byte below 32 or from 126 up as `\XX`. The government's
 * certificates carry the organ code in the subject (`UID=MDD:<code>`), so the bus reads the organ
 * from this user exactly as it reads it from a signature's certificate.
 *
 * Multi-valued RDNs (rare in organisation certificates) are written one attribute per RDN.
 */
export function brokerUserOfCertificate(certificatePem: string): string {
  const [der] = derFromPem(certificatePem);
  if (!der) throw new Error('no certificate in the PEM text');
  const cert = new pkijs.Certificate({ schema: asn1js.fromBER(new Uint8Array(der).buffer).result });
  return cert.subject.typesAndValues
    .map((tv) => `${SHORT_NAMES[tv.type] ?? tv.type}=${escapeValue(Buffer.from(text(tv.value), 'utf8'))}`)
    .reverse()
    .join(',');
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GIVENNAME',
  '2.5.4.43': 'INITIALS',
  '2.5.4.44': 'GENERATIONQUALIFIER',
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'TITLE',
  '2.5.4.6': 'C',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.65': 'PSEUDONYM',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
  '0.9.2342.19200300.100.1.1': 'UID',
};

function text(value: unknown): string {
  const block = (value as { valueBlock?: { value?: unknown } }).valueBlock;
  return typeof block?.value === 'string' ? block.value : '';
}

const ALWAYS_ESCAPED = new Set([...'"+,;<>\\'].map((c) => c.charCodeAt(0)));

function escapeValue(bytes: Buffer): string {
  let out = '';
  bytes.forEach((b, i) => {
    if (i === 0 && (b === 0x20 || b === 0x23)) out += `\\${String.fromCharCode(b)}`;
    else if (i === bytes.length - 1 && i > 0 && b === 0x20) out += '\\ ';
    else if (ALWAYS_ESCAPED.has(b)) out += `\\${String.fromCharCode(b)}`;
    else if (b < 32 || b >= 126) out += `\\${b.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  });
  return out;
}

/**
 * The organ a certificate user stands for: the `UID=MDD:<code>` attribute of the subject as
 * `brokerUserOfCertificate` writes it; null for a user that is not such a name.
 */
export function organOfCertificateUser(user: string): string | null {
  for (const part of splitUnescaped(user)) {
    const m = /^UID=MDD:(.+)$/.exec(part);
    if (m) return unescapeValue(m[1]!);
  }
  return null;
}

function splitUnescaped(dn: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\' && i + 1 < dn.length) {
      current += c + dn[++i];
    } else if (c === ',' || c === '+') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unescapeValue(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && /^[0-9A-F]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '\\' && i + 1 < value.length) bytes.push(value.charCodeAt(++i));
    else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
