/** The credentials a DMS uses to connect to the broker as its endpoint. */
export interface BrokerCredentials {
  organId: string;
  /** `password`: a user named by the organ code; `cert`: the organ's certificate logs in (EXTERNAL). */
  auth: 'password' | 'cert';
  username: string;
  /** Empty for a certificate user: no password exists. */
  password: string;
  inboxQueue: string;
  submitExchange: string;
}

/**
 * Port: gives an endpoint its own broker identity, allowed to publish only to the submission
 * exchange and to read only its own inbox. The broker then vouches for the sender (`user_id`).
 */
export abstract class BrokerAccessProvisioner {
  /**
   * A password user named by the organ code or, given the organ's certificate (PEM), a user named
   * by that certificate with no password (EXTERNAL login). Either replaces the other.
   */
  abstract provision(organId: string, certificatePem?: string): Promise<BrokerCredentials>;
  abstract revoke(organId: string): Promise<void>;
}
