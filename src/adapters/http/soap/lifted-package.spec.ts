import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSpooled } from '../../../modules/shared/package-body';
import { UploadSpool } from '../../spool/upload-spool';
import { liftedBody, liftPackage, liftSpooledPackage, packageBytes } from './lifted-package';

describe('lifting a large SendEdoc Package out of the envelope', () => {
  const pkg = randomBytes(1024 * 1024);
  const base64 = pkg.toString('base64');
  const envelope = (element: string, value = base64) =>
    Buffer.from(
      `<?xml version="1.0"?><soap:Envelope xmlns:soap="s" xmlns:tns="t"><soap:Header><Security/></soap:Header>` +
        `<soap:Body><tns:SendEdocRequest><tns:MessageType>edoc</tns:MessageType>` +
        `<${element}>${value}</${element}></tns:SendEdocRequest></soap:Body></soap:Envelope>`,
    );
  const valueIn = (body: Buffer, element: string) =>
    new RegExp(`<${element}>([^<]*)</${element}>`).exec(body.toString('latin1'))![1]!;

  it.each(['tns:Package', 'Package'])(
    'lifts <%s> and gives the package back from the received bytes',
    (element) => {
      const req = {} as Request;
      const body = liftPackage(req, envelope(element));
      expect(body.length).toBeLessThan(1000);
      const token = valueIn(body, element);
      expect((packageBytes(req, token) as Buffer).equals(pkg)).toBe(true);
      // Once taken, the lifted text is forgotten: the same token is now just base64.
      expect((packageBytes(req, token) as Buffer).equals(pkg)).toBe(false);
    },
  );

  it.each([
    ['a small package', 'tns:Package', 'QUJD'],
    ['another element', 'tns:XPackage', base64],
    ['a text with an entity', 'tns:Package', `${base64}&#65;`],
  ])('leaves %s to node-soap', (_label, element, value) => {
    const original = envelope(element, value);
    expect(liftPackage({} as Request, original)).toBe(original);
  });

  describe('from an envelope spooled to a file', () => {
    const base = mkdtempSync(join(tmpdir(), 'edoc-soap-spool-'));
    const spool = UploadSpool.open(base);
    afterAll(() => rmSync(base, { recursive: true, force: true }));
    const spooled = (body: Buffer) => {
      const spoolPath = spool.path();
      writeFileSync(spoolPath, body);
      return { spoolPath, length: body.length, sha256: createHash('sha256').update(body).digest('hex') };
    };

    it('decodes the Package into its own spool file and gives node-soap the rest', () => {
      const req = {} as Request;
      const envelopeFile = spooled(envelope('tns:Package'));
      const body = liftSpooledPackage(req, envelopeFile, spool);
      expect(body.length).toBeLessThan(1000);
      const lifted = packageBytes(req, valueIn(body, 'tns:Package'));
      expect(isSpooled(lifted)).toBe(true);
      expect(liftedBody(req)).toBe(lifted); // removed when the call ends, whoever took it
      if (!isSpooled(lifted)) return;
      expect(readFileSync(lifted.spoolPath).equals(pkg)).toBe(true);
      expect(lifted).toMatchObject({
        length: pkg.length,
        sha256: createHash('sha256').update(pkg).digest('hex'),
      });
      spool.release(lifted);
      spool.release(envelopeFile);
      expect(readdirSync(spool.directory)).toEqual([]);
    });

    it('lifts in memory when a long base64 text is not the Package', () => {
      const req = {} as Request;
      const odd = Buffer.from(
        envelope('tns:Package')
          .toString('latin1')
          .replace('<tns:MessageType>edoc', `<tns:MessageType>${base64}`),
        'latin1',
      );
      const envelopeFile = spooled(odd);
      const body = liftSpooledPackage(req, envelopeFile, spool);
      const lifted = packageBytes(req, valueIn(body, 'tns:Package'));
      expect(isSpooled(lifted)).toBe(false);
      expect((lifted as Buffer).equals(pkg)).toBe(true);
      spool.release(envelopeFile);
    });
  });
});
