import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../../shared/resources';
import { EDXML_NS } from '../../xml/namespaces';
import type { Libxml2, XmlDocument } from '../../xml/libxml2';

export type PackageKind = 'edoc' | 'status';

const SCHEMA_FILES: Record<PackageKind, string> = {
  edoc: 'edxml-document.xsd',
  status: 'edxml-status.xsd',
};

/** Schemas are resolved from memory under this pseudo-directory, never from disk or network. */
const VIRTUAL_DIR = 'edoc-bus-schemas';

export interface SchemaProblem {
  line: number;
  message: string;
}

/**
 * Validates packages against the project's XSDs in schemas/edoc. The schemas are compiled once
 * per worker thread and reused (compiling costs far more than validating).
 */
export class SchemaValidator {
  private readonly validators: Record<PackageKind, Libxml2.XsdValidator>;

  constructor(private readonly lx: typeof Libxml2) {
    const dir = projectPath('schemas', 'edoc');
    const files: Record<string, Uint8Array> = {};
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.xsd'))) {
      files[`${VIRTUAL_DIR}/${name}`] = readFileSync(join(dir, name));
    }
    lx.xmlRegisterInputProvider(new lx.XmlBufferInputProvider(files));
    const compile = (file: string) => {
      const url = `${VIRTUAL_DIR}/${file}`;
      const schemaDoc = lx.XmlDocument.fromBuffer(files[url]!, { url });
      try {
        return lx.XsdValidator.fromDoc(schemaDoc);
      } finally {
        schemaDoc.dispose();
      }
    };
    this.validators = { edoc: compile(SCHEMA_FILES.edoc), status: compile(SCHEMA_FILES.status) };
  }

  validate(doc: XmlDocument, kind: PackageKind): SchemaProblem[] {
    try {
      this.validators[kind].validate(doc);
      return [];
    } catch (error) {
      if (error instanceof this.lx.XmlValidateError) {
        return error.details.map((d) => ({ line: d.line, message: readable(d.message) }));
      }
      throw error;
    }
  }
}

/** `Element '{http://www.mic…}Priority': …` → `Element 'Priority': …` (the namespace is implied). */
function readable(message: string): string {
  return message.replaceAll(`{${EDXML_NS}}`, '').trim();
}

export function formatSchemaProblems(problems: SchemaProblem[]): string[] {
  return problems.map((p) => (p.line > 0 ? `line ${p.line}: ${p.message}` : p.message));
}
