import { canonicalOrganCode, categoryOf, organCodeForm, qcvn102ToQd20, qd20ToQcvn102 } from './organ-code';

describe('organ codes', () => {
  it.each([
    ['000.00.00.G22', 'G22'],
    ['000.00.00.H41', 'H41'],
    ['000.05.07.G11', 'G11.7.5'],
    ['001.02.03.H49', 'H49.3.2.1'],
    ['000.00.12.H49', 'H49.12'],
  ])('converts %s to the Decision 20/2020 form %s and back', (qcvn, qd20) => {
    expect(qcvn102ToQd20(qcvn)).toBe(qd20);
    expect(qd20ToQcvn102(qd20)).toBe(qcvn);
  });

  it('refuses to write in QCVN 102 form what does not fit it', () => {
    expect(qd20ToQcvn102('G11.7.5.1234')).toBeNull(); // level 4 has three digits
    expect(qd20ToQcvn102('G11.7.5.1.2')).toBeNull(); // five levels
    expect(qd20ToQcvn102('020100107370')).toBeNull(); // not a level-1 organ
    expect(qd20ToQcvn102('g22')).toBeNull(); // lower case is not Decision 20 form
  });

  it('names the form a code is written in', () => {
    expect(organCodeForm('000.00.00.G22')).toBe('qcvn102');
    expect(organCodeForm('G22')).toBe('qd20');
    expect(organCodeForm('vxp.saas.03')).toBe('legacy');
    expect(organCodeForm('020100107370')).toBe('legacy');
    expect(organCodeForm('')).toBeNull();
    expect(organCodeForm('bad code')).toBeNull();
    expect(organCodeForm('<script>')).toBeNull();
  });

  it('routes on the QCVN 102 form whichever form is written', () => {
    expect(canonicalOrganCode(' G22 ')).toBe('000.00.00.G22');
    expect(canonicalOrganCode('000.00.00.H41')).toBe('000.00.00.H41');
    expect(canonicalOrganCode('vxp.saas.03')).toBe('vxp.saas.03');
    expect(canonicalOrganCode('null ')).toBe('null');
    expect(canonicalOrganCode('two words')).toBeNull();
  });

  it('tells ministries, agencies, provinces and Party bodies apart', () => {
    expect(categoryOf('000.00.00.G01')).toBe('ministry');
    expect(categoryOf('000.00.00.G22')).toBe('ministry');
    expect(categoryOf('000.00.00.G30')).toBe('agency');
    expect(categoryOf('000.00.00.H41')).toBe('province');
    expect(categoryOf('000.00.00.A01')).toBe('party');
    expect(categoryOf('vxp.saas.03')).toBe('other');
  });
});
