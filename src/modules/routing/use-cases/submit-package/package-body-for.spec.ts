import type { SubmissionRepository } from '../../submission-repository.port';
import { packageBodyFor } from './accept-document.use-case';
import type { SubmitPackageCommand } from './submit-package.command';

describe('the package body handed to the relay', () => {
  const command = (body: SubmitPackageCommand['body']) => ({ body }) as SubmitPackageCommand;

  it('is the received bytes when they are in memory', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const repository = { readPackageBody: jest.fn() } as unknown as SubmissionRepository;
    expect(packageBodyFor(command(bytes), repository, 'id')).toBe(bytes);
  });

  it('is read back once for all copies when the upload was spooled, and only when asked', async () => {
    const stored = new Uint8Array([4, 5]);
    const readPackageBody = jest.fn().mockResolvedValue(stored);
    const repository = { readPackageBody } as unknown as SubmissionRepository;
    const body = packageBodyFor(command({ spoolPath: '/x', length: 2, sha256: '' }), repository, 'bus-1');
    expect(typeof body).toBe('function');
    expect(readPackageBody).not.toHaveBeenCalled();
    const load = body as () => Promise<Uint8Array>;
    const copies = await Promise.all([load(), load(), load()]);
    expect(copies).toEqual([stored, stored, stored]);
    expect(readPackageBody.mock.calls).toEqual([['bus-1']]);
  });
});
