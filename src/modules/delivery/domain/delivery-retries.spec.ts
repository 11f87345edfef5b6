import { backoffSeconds, CircuitBreakers } from './delivery-retries';

describe('CircuitBreakers', () => {
  it('opens after N failures in a row, lets one try through after the pause, and closes on success', () => {
    let now = 1000;
    const breakers = new CircuitBreakers(3, 30_000, () => now);
    expect(breakers.failed('H41')).toBe(false);
    expect(breakers.failed('H41')).toBe(false);
    expect(breakers.pausedFor('H41')).toBe(0);
    expect(breakers.failed('H41')).toBe(true);
    expect(breakers.pausedFor('H41')).toBe(30_000);
    expect(breakers.open()).toEqual(['H41']);
    expect(breakers.pausedFor('G12')).toBe(0);

    now += 30_000;
    expect(breakers.pausedFor('H41')).toBe(0); // half-open: one try
    expect(breakers.failed('H41')).toBe(true); // it failed: paused again at once
    expect(breakers.pausedFor('H41')).toBe(30_000);

    now += 30_000;
    breakers.succeeded('H41');
    expect(breakers.pausedFor('H41')).toBe(0);
    expect(breakers.failed('H41')).toBe(false); // counting starts over
    expect(breakers.open()).toEqual([]);
  });

  it('a success between failures resets the count', () => {
    const breakers = new CircuitBreakers(2, 1000, () => 0);
    breakers.failed('A');
    breakers.succeeded('A');
    expect(breakers.failed('A')).toBe(false);
  });
});

describe('backoffSeconds', () => {
  it('doubles per attempt and is capped at five minutes', () => {
    expect([0, 1, 2, 3, 8, 9, 50].map(backoffSeconds)).toEqual([2, 2, 4, 8, 256, 300, 300]);
  });
});
