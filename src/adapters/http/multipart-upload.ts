import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { UploadSpool } from '../spool/upload-spool';
import { announcedLength, receivePackage, type ReceivedPackage } from './read-body';

/**
 * Reads the one file part `field` of a multipart request as it streams in: the bytes are kept
 * only up to the package cap, the rest is hashed and dropped, so an oversize upload costs no
 * memory beyond the cap. Other parts are ignored.
 */
export function readUpload(
  req: IncomingMessage,
  field: string,
  maxBytes: number,
  spool: UploadSpool,
): Promise<ReceivedPackage | null> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fields: 20, parts: 25, fieldSize: 64 * 1024 },
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    let found: Promise<ReceivedPackage> | null = null;
    parser.on('file', (name, stream) => {
      if (name !== field || found) {
        stream.resume();
        return;
      }
      found = receivePackage(stream, maxBytes, announcedLength(req), spool);
    });
    parser.on('error', reject);
    parser.on('close', () => {
      if (!found) resolve(null);
      else found.then(resolve, reject);
    });
    req.pipe(parser);
  });
}
