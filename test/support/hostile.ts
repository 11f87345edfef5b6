import { documentPackage } from './packages';

export function malformedXml(from: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:From>${from}</edXML>`;
}

export const DOCTYPE_XXE = `<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&xxe;</edXML>`;

export const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol3;</edXML>`;

/** A valid package made schema-invalid: Priority must be 0–4. */
export function xsdInvalidPackage(from: string, to: string): string {
  return documentPackage(from, [to]).xml.replace(
    /<edXML:Priority>\d<\/edXML:Priority>/,
    '<edXML:Priority>9</edXML:Priority>',
  );
}
