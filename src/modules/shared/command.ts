import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/** Thrown when a command built by an adapter (CLI arguments, HTTP body…) is not valid. */
export class InvalidCommandError extends Error {
  constructor(
    readonly command: string,
    readonly problems: string[],
  ) {
    super(`Invalid ${command}: ${problems.join('; ')}`);
    this.name = 'InvalidCommandError';
  }
}

/**
 * Builds a command object and validates it once, whatever transport produced it, so a use case
 * never sees unvalidated input (the pattern of novu's BaseCommand).
 */
export function createCommand<T extends object>(type: new () => T, props: Partial<T>): T {
  const instance = plainToInstance(type, props);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const problems = errors.flatMap((e) =>
      Object.values(e.constraints ?? { invalid: `${e.property} is invalid` }),
    );
    throw new InvalidCommandError(type.name, problems);
  }
  return instance;
}
