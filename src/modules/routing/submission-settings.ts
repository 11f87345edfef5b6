import type { XmlLimits } from '../xml/prescan';

/** Limits the submission path enforces; built once from the validated configuration. */
export abstract class SubmissionSettings {
  abstract readonly xmlLimits: XmlLimits;
  /** Bytes of a refused package kept in quarantine (the rest is dropped, its size and hash kept). */
  abstract readonly quarantineMaxStoredBytes: number;
}
