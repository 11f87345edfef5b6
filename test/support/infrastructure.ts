/** Where global-setup found the services (containers or local); see test/setup/global-setup.ts. */
export function testServices(): { databaseUrl: string; amqpUrl: string; managementUrl: string } {
  const { TEST_DATABASE_URL, TEST_AMQP_URL, TEST_RABBITMQ_MANAGEMENT_URL } = process.env;
  if (!TEST_DATABASE_URL || !TEST_AMQP_URL || !TEST_RABBITMQ_MANAGEMENT_URL) {
    throw new Error('Test services are not configured: run the tests through jest (global-setup sets them)');
  }
  return {
    databaseUrl: TEST_DATABASE_URL,
    amqpUrl: TEST_AMQP_URL,
    managementUrl: TEST_RABBITMQ_MANAGEMENT_URL,
  };
}

export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
