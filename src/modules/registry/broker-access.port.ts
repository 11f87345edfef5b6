/** The credentials a DMS uses to connect to the broker as its endpoint. */
export interface BrokerCredentials {
  organId: string;
  username: string;
  password: string;
  inboxQueue: string;
  submitExchange: string;
}

/**
 * Port: gives an endpoint its own broker identity, allowed to publish only to the submission
 * exchange and to read only its own inbox. The broker then vouches for the sender (`user_id`).
 */
export abstract class BrokerAccessProvisioner {
  abstract provision(organId: string): Promise<BrokerCredentials>;
  abstract revoke(organId: string): Promise<void>;
}
