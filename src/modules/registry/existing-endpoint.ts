import { DomainRuleError } from '../shared/errors';
import type { Endpoint } from './domain/endpoint';
import { canonicalOrganCode } from './domain/organ-code';
import type { EndpointRepository } from './endpoint-repository.port';

/** The endpoint an operator's command names, by any written form of its code; refused if none. */
export async function existingEndpoint(repository: EndpointRepository, code: string): Promise<Endpoint> {
  const organId = canonicalOrganCode(code);
  const endpoint = organId ? await repository.findOne(organId) : null;
  if (!endpoint) throw new DomainRuleError('endpoint-unknown', `No endpoint ${code}`);
  return endpoint;
}
