import { argumentMismatch } from './topology';

describe("RabbitMQ's refusal of a queue declared again with other arguments", () => {
  it('is read when the argument was missing before', () => {
    const error = new Error(
      `Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'x-quorum-initial-group-size' for queue 'edoc.ingress' in vhost '/': received the value '3' of type 'byte' but current is none"`,
    );
    expect(argumentMismatch(error)).toEqual({
      argument: 'x-quorum-initial-group-size',
      queue: 'edoc.ingress',
      wanted: '3',
      current: 'none',
    });
  });

  it('is read when both values are given', () => {
    const error = new Error(
      `406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue 'edoc.inbox.000.00.00.H41' in vhost 'v': received the value '20' of type 'signedint' but current is the value '5' of type 'signedint'"`,
    );
    expect(argumentMismatch(error)).toMatchObject({
      argument: 'x-delivery-limit',
      wanted: '20',
      current: '5',
    });
  });

  it('is nothing else', () => {
    expect(argumentMismatch(new Error('NOT_FOUND - no queue'))).toBeNull();
  });
});
