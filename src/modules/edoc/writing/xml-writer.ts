/** Minimal, allocation-light XML text building for the canonical writers. */

export function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;',
  );
}

export function escapeAttribute(value: string): string {
  return value.replace(/[&<"\r\n\t]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '"' ? '&quot;' : `&#${c.charCodeAt(0)};`,
  );
}

/**
 * Writes indented elements with a fixed prefix. Empty optional fields are skipped (`field` with
 * `undefined`), matching how the official samples leave out what a producer does not know.
 */
export class XmlLines {
  private readonly lines: string[] = [];
  private depth = 0;

  constructor(
    private readonly prefix: string,
    private readonly newline = '\r\n',
  ) {}

  raw(line: string): this {
    this.lines.push('  '.repeat(this.depth) + line);
    return this;
  }

  open(name: string, attributes = ''): this {
    this.raw(`<${this.qualified(name)}${attributes}>`);
    this.depth++;
    return this;
  }

  close(name: string): this {
    this.depth--;
    return this.raw(`</${this.qualified(name)}>`);
  }

  /** `<p:name>text</p:name>`, or nothing when the value is undefined. */
  field(name: string, value: string | number | undefined, attributes = ''): this {
    if (value === undefined) return this;
    const q = this.qualified(name);
    return this.raw(`<${q}${attributes}>${escapeText(String(value))}</${q}>`);
  }

  withPrefix(prefix: string, write: (w: XmlLines) => void): this {
    const inner = new XmlLines(prefix, this.newline);
    inner.depth = this.depth;
    write(inner);
    this.lines.push(...inner.lines);
    this.depth = inner.depth;
    return this;
  }

  toString(): string {
    return this.lines.join(this.newline) + this.newline;
  }

  private qualified(name: string): string {
    return this.prefix ? `${this.prefix}:${name}` : name;
  }
}
