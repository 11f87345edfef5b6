import {
  applyStatus,
  markDelivered,
  requestChange,
  takeFromInbox,
  type CopyStatus,
} from './delivery-lifecycle';

const copy = (state: CopyStatus['state'], changeState: CopyStatus['changeState'] = null): CopyStatus => ({
  state,
  changeState,
});

describe('the life of a copy', () => {
  it('walks the whole path 01 → 03 → 04 → 05 → 06', () => {
    let c: CopyStatus = markDelivered(copy('queued'));
    expect(c.state).toBe('delivered');
    for (const [code, state] of [
      ['01', 'arrived'],
      ['03', 'accepted'],
      ['04', 'assigned'],
      ['05', 'processing'],
      ['06', 'completed'],
    ] as const) {
      const t = applyStatus(c, code);
      expect(t).toEqual({ state, changeState: null });
      c = t;
    }
  });

  it('lets a copy skip the optional steps 04 and 05 (a DMS that reports 01, 03 and 06)', () => {
    expect(applyStatus(copy('delivered'), '01')).toEqual({ state: 'arrived', changeState: null });
    expect(applyStatus(copy('queued'), '01')).toEqual({ state: 'arrived', changeState: null });
    expect(applyStatus(copy('arrived'), '03')).toEqual({ state: 'accepted', changeState: null });
    expect(applyStatus(copy('accepted'), '06')).toEqual({ state: 'completed', changeState: null });
  });

  it('applies, and flags, a status that skips the arrival (01) or the decision (03)', () => {
    expect(applyStatus(copy('queued'), '06')).toEqual({
      state: 'completed',
      changeState: null,
      flag: 'status 06 applied before 01 (arrived) and 03 (accepted) (out of order)',
    });
    expect(applyStatus(copy('delivered'), '03')).toEqual({
      state: 'accepted',
      changeState: null,
      flag: 'status 03 applied before 01 (arrived) (out of order)',
    });
    expect(applyStatus(copy('queued'), '02')).toMatchObject({
      state: 'rejected',
      flag: 'status 02 applied before 01 (arrived) (out of order)',
    });
    expect(applyStatus(copy('arrived'), '05')).toMatchObject({
      state: 'processing',
      flag: 'status 05 applied before 03 (accepted) (out of order)',
    });
  });

  it('keeps, and flags, statuses that come late, twice, or make no sense', () => {
    expect(applyStatus(copy('completed'), '03')).toMatchObject({
      state: 'completed',
      flag: 'status 03 out of order: the copy is already completed',
    });
    expect(applyStatus(copy('accepted'), '03')).toMatchObject({
      state: 'accepted',
      flag: 'status 03 repeated',
    });
    expect(applyStatus(copy('rejected'), '04')).toMatchObject({
      state: 'rejected',
      flag: 'status 04 after the copy was rejected (02)',
    });
    expect(applyStatus(copy('assigned'), '02')).toMatchObject({
      state: 'assigned',
      flag: 'rejection (02) after the copy was assigned',
    });
    expect(applyStatus(copy('arrived'), '09')).toMatchObject({
      state: 'arrived',
      flag: 'unknown status code 09',
    });
  });

  it('lets a recipient reject after the copy arrived', () => {
    expect(applyStatus(copy('arrived'), '02')).toEqual({ state: 'rejected', changeState: null });
  });

  it('follows a recall: requested, then agreed or refused; withdrawn when the copy was never taken', () => {
    expect(applyStatus(copy('arrived'), '13')).toEqual({ state: 'arrived', changeState: 'requested' });
    expect(applyStatus(copy('queued'), '13')).toEqual({ state: 'queued', changeState: 'withdrawn' });
    expect(applyStatus(copy('arrived', 'requested'), '15')).toEqual({
      state: 'arrived',
      changeState: 'agreed',
    });
    expect(applyStatus(copy('arrived', 'requested'), '16')).toEqual({
      state: 'arrived',
      changeState: 'refused',
    });
    expect(applyStatus(copy('arrived'), '15')).toMatchObject({
      changeState: 'agreed',
      flag: 'answer 15 without a pending recall or update request',
    });
  });

  it('a recall package withdraws a copy still queued and asks for any other; updates and replacements always ask', () => {
    expect(requestChange(copy('queued'), 'recall')).toEqual({ state: 'queued', changeState: 'withdrawn' });
    expect(requestChange(copy('delivered'), 'recall')).toEqual({
      state: 'delivered',
      changeState: 'requested',
    });
    expect(requestChange(copy('queued'), 'update')).toEqual({ state: 'queued', changeState: 'requested' });
    expect(requestChange(copy('completed'), 'replacement')).toEqual({
      state: 'completed',
      changeState: 'requested',
    });
  });

  it('a copy taken while withdrawn is delivered after all, and the recall becomes a request, flagged', () => {
    expect(takeFromInbox(copy('queued'))).toEqual({ state: 'delivered', changeState: null });
    expect(takeFromInbox(copy('queued', 'withdrawn'))).toMatchObject({
      state: 'delivered',
      changeState: 'requested',
      flag: expect.stringContaining('ask again with status 13'),
    });
    expect(takeFromInbox(copy('arrived'))).toEqual({ state: 'arrived', changeState: null });
  });
});
