import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { brokerUserOfCertificate, organOfCertificateUser } from './certificate-user';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

async function certificate(name: x509.JsonName): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name,
    keys: keys,
    signingAlgorithm: alg,
  });
  return cert.toString('pem');
}

describe('the broker user of a client certificate (as RabbitMQ names it for EXTERNAL)', () => {
  it('writes the subject in reverse order, UTF-8 bytes from 126 up as \\XX, and reads the organ back', async () => {
    const pem = await certificate([
      { CN: ['Văn phòng Chính phủ'] },
      { '0.9.2342.19200300.100.1.1': ['MDD:000.00.00.G22'] },
      { O: ['Văn phòng Chính phủ'] },
      { C: ['VN'] },
    ]);
    const user = brokerUserOfCertificate(pem);
    // What RabbitMQ 3.10 logged for this subject (rabbit_cert_info:format_rdn_sequence).
    expect(user).toBe(
      'C=VN,O=V\\C4\\83n ph\\C3\\B2ng Ch\\C3\\ADnh ph\\E1\\BB\\A7,UID=MDD:000.00.00.G22,CN=V\\C4\\83n ph\\C3\\B2ng Ch\\C3\\ADnh ph\\E1\\BB\\A7',
    );
    expect(organOfCertificateUser(user)).toBe('000.00.00.G22');
  });

  it('escapes , + ; < > " anywhere, a leading space or #, a trailing space and ~, and keeps other types as OIDs', async () => {
    const user = brokerUserOfCertificate(
      await certificate([
        { CN: [' a,b+c;d<e>f"g~ '] },
        { '2.5.4.97': ['VATVN-0101'] },
        // (a value written as '#' and hex is DER: a UTF8String "#ab", which starts with '#')
        { OU: ['#0c03236162'] },
      ]),
    );
    expect(user).toBe('OU=\\#ab,2.5.4.97=VATVN-0101,CN=\\ a\\,b\\+c\\;d\\<e\\>f\\"g\\7E\\ ');
    expect(organOfCertificateUser(user)).toBeNull();
  });

  it('does not take an organ code hidden inside another attribute’s value', () => {
    expect(organOfCertificateUser('CN=x\\,UID=MDD:000.00.00.G22,C=VN')).toBeNull();
    expect(organOfCertificateUser('CN=x,UID=MDD:000.00.00.H41,C=VN')).toBe('000.00.00.H41');
  });
});
