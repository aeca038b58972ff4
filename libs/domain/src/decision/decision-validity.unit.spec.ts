import { staleAuthorization, staleIntent, staleRetry } from './decision-validity';

describe('staleAuthorization: the validity window of what set a resurrection going', () => {
  const at = '2026-02-11T12:00:00.000Z';

  it.each([
    ['the moment it was given', '2026-02-11T12:00:00.000Z'],
    ['within the window', '2026-02-11T12:59:59.999Z'],
    ['at its very end', '2026-02-11T13:00:00.000Z'],
    ['before it (a clock a little behind)', '2026-02-11T11:59:30.000Z'],
  ])('is valid %s', (_when, now) => {
    expect(staleAuthorization(at, 60, now)).toBeNull();
  });

  it('is stale a millisecond after the window, and says when it was given, for how long and how old it is', () => {
    expect(staleAuthorization(at, 60, '2026-02-11T13:00:00.001Z')).toBe(
      "the resurrection was authorized at 2026-02-11T12:00:00.000Z, valid for 60 minutes (the decision's timeout_minutes), " +
        'and was 60 minutes old when the executor came to it: it was not carried out, since the situation it was judged on may have changed; ' +
        'start the module by hand if it should still come back',
    );
  });

  it('counts whole minutes of age, and takes the window it is given', () => {
    expect(staleAuthorization(at, 1, '2026-02-11T14:30:59.000Z')).toContain('valid for 1 minute (');
    expect(staleAuthorization(at, 1, '2026-02-11T14:30:59.000Z')).toContain('was 150 minutes old');
    expect(staleAuthorization(at, 180, '2026-02-11T14:30:59.000Z')).toBeNull();
  });
});

describe('staleRetry: a refused start tried again only within the validity window of when the retry was due', () => {
  const due = '2026-02-11T12:00:00.000Z';

  it('is made within the window, to its very end', () => {
    expect(staleRetry(due, 2, 60, '2026-02-11T12:00:02.000Z')).toBeNull();
    expect(staleRetry(due, 2, 60, '2026-02-11T13:00:00.000Z')).toBeNull();
    expect(staleRetry(due, 2, 60, '2026-02-11T13:00:00.001Z')).not.toBeNull();
  });

  it('is not made past it, saying which attempt was refused, when the next was due, how late the executor came, and which attempt was not made', () => {
    expect(staleRetry(due, 3, 60, '2026-02-11T14:05:00.000Z')).toBe(
      'attempt 2 was refused by the container engine and attempt 3 was due at 2026-02-11T12:00:00.000Z, and the executor came to it 125 minutes later, ' +
        "past the decision's validity of 60 minutes (its timeout_minutes): attempt 3 was not made, since the situation the approval was judged on may have changed; " +
        'start the module by hand if it should still come back',
    );
  });
});

describe('staleIntent: an intent acted on only within the validity window of when it was due', () => {
  const written = '2026-02-11T12:00:00.000Z';

  it('counts the window from when the intent was written', () => {
    expect(staleIntent(written, 1, 60, '2026-02-11T13:00:00.000Z')).toBeNull();
    expect(staleIntent(written, 3, 1, '2026-02-11T12:01:00.000Z')).toBeNull();
    expect(staleIntent(written, 3, 1, '2026-02-11T12:01:00.001Z')).not.toBeNull();
  });

  it('says which intent, when it was written, how late the executor came and that nothing was started', () => {
    expect(staleIntent(written, 1, 60, '2026-02-11T14:30:00.000Z')).toBe(
      'the intent of attempt 1 was written at 2026-02-11T12:00:00.000Z, and the executor came to act on it 150 minutes after it was due, ' +
        "past the decision's validity of 60 minutes (its timeout_minutes): the module was not started, since the situation the approval was judged on may have changed; " +
        'start the module by hand if it should still come back',
    );
  });
});
