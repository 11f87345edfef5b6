import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { liftPackage, packageBytes } from './lifted-package';

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
      expect(packageBytes(req, token).equals(pkg)).toBe(true);
      // Once taken, the lifted text is forgotten: the same token is now just base64.
      expect(packageBytes(req, token).equals(pkg)).toBe(false);
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
});
