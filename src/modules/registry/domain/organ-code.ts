/**
 * Organ identifiers ("mã định danh") in their two official forms.
 *
 * QCVN 102:2016 form `V1V2V3.Z1Z2.Y1Y2.Xnn`, read right to left: `Xnn` is the level-1 organ
 * (a letter and two digits), then level 2, 3 and 4 units; unused levels are zeros.
 * Example: `000.00.00.H41` is Nghệ An's People's Committee.
 *
 * Decision 20/2020/QĐ-TTg form: at most 35 characters, dot-separated groups of [0-9A-Z],
 * read left to right. The same organ `000.05.07.G11` is `G11.7.5` (reverse the groups,
 * strip padding, drop trailing zero groups).
 *
 * The bus routes on the QCVN 102 form because that is what edXML packages carry; codes that fit
 * neither form (seen in the field: `vxp.saas.03`, 12-digit codes) are kept verbatim as "legacy".
 */

export type OrganCodeForm = 'qcvn102' | 'qd20' | 'legacy';

const QCVN102 = /^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z]\d{2})$/;
const QD20 = /^[A-Z0-9]+(\.[A-Z0-9]+)*$/;
const LEVEL1 = /^[A-Z]\d{2}$/;
const LEGACY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const QD20_MAX_LENGTH = 35;

export function isQcvn102Code(code: string): boolean {
  return QCVN102.test(code);
}

export function isQd20Code(code: string): boolean {
  return code.length <= QD20_MAX_LENGTH && QD20.test(code);
}

/** Which form a code is written in; `null` when it is not usable as an organ code at all. */
export function organCodeForm(code: string): OrganCodeForm | null {
  if (isQcvn102Code(code)) return 'qcvn102';
  if (isQd20Code(code) && qd20ToQcvn102(code) !== null) return 'qd20';
  if (LEGACY.test(code)) return 'legacy';
  return null;
}

/** `000.05.07.G11` → `G11.7.5`. */
export function qcvn102ToQd20(code: string): string {
  const m = QCVN102.exec(code);
  if (!m) throw new Error(`Not a QCVN 102 organ code: ${code}`);
  const [, level4, level3, level2, level1] = m as unknown as [string, string, string, string, string];
  const lower = [level2, level3, level4].map((g) => String(Number(g)));
  while (lower.length > 0 && lower[lower.length - 1] === '0') lower.pop();
  return [level1, ...lower].join('.');
}

/** `G11.7.5` → `000.05.07.G11`; `null` when the code cannot be written in QCVN 102 form. */
export function qd20ToQcvn102(code: string): string | null {
  if (!isQd20Code(code)) return null;
  const [level1, ...lower] = code.split('.') as [string, ...string[]];
  if (!LEVEL1.test(level1) || lower.length > 3) return null;
  const widths = [2, 2, 3];
  const padded: string[] = [];
  for (let i = 0; i < 3; i++) {
    const group = lower[i] ?? '0';
    if (!/^\d+$/.test(group) || group.length > widths[i]!) return null;
    padded.push(group.padStart(widths[i]!, '0'));
  }
  const [level2, level3, level4] = padded as [string, string, string];
  return `${level4}.${level3}.${level2}.${level1}`;
}

/**
 * The code the bus routes on: QCVN 102 form when the input can be written that way, otherwise the
 * trimmed input. Returns `null` for text that cannot be an organ code (empty, spaces, `<`…).
 */
export function canonicalOrganCode(input: string): string | null {
  const code = input.trim();
  if (isQcvn102Code(code)) return code;
  const converted = qd20ToQcvn102(code);
  if (converted) return converted;
  return LEGACY.test(code) ? code : null;
}

export type OrganCategory = 'ministry' | 'agency' | 'province' | 'party' | 'council' | 'other';

/** Level-1 G codes above this number are government agencies rather than (ministerial-level) ministries. */
const LAST_MINISTRY_NUMBER = 22;

/** The kind of organ, from the letter of its level-1 code (G, H, A, K as used in QCVN 102). */
export function categoryOf(code: string): OrganCategory {
  const m = QCVN102.exec(code);
  const letter = m ? m[4]![0] : '';
  switch (letter) {
    case 'G':
      return Number(m![4]!.slice(1)) > LAST_MINISTRY_NUMBER ? 'agency' : 'ministry';
    case 'H':
      return 'province';
    case 'A':
      return 'party';
    case 'K':
      return 'council';
    default:
      return 'other';
  }
}
