import { randomBytes } from 'node:crypto';
import { base64Buffer } from './stream-chunks';

describe('base64 into buffers', () => {
  it.each([0, 1, 2, 3, 4, 5, 47, 48 * 1024, 48 * 1024 + 1])('encodes %i bytes as Node does', (n) => {
    const bytes = randomBytes(n);
    expect(base64Buffer(bytes).toString('latin1')).toBe(bytes.toString('base64'));
  });
});
