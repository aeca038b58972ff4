import { addHours, addMinutes, compareInstants, normalizeInstant, parseInstant } from '@medic/domain';
import { thrownBy } from '../../test/domain-fixtures';

describe('instants', () => {
  it.each([
    ['2026-02-11T12:00:00Z', '2026-02-11T12:00:00.000Z'],
    ['2026-02-11t12:00:00z', '2026-02-11T12:00:00.000Z'],
    ['2026-02-11T12:00:00.5Z', '2026-02-11T12:00:00.500Z'],
    ['2026-02-11T13:00:00+01:00', '2026-02-11T12:00:00.000Z'],
    ['2026-02-11T13:00:00+01', '2026-02-11T12:00:00.000Z'],
    ['2026-02-11T00:30:00-12:00', '2026-02-11T12:30:00.000Z'],
    ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('normalises %s to %s', (text, utc) => {
    expect(normalizeInstant(text)).toBe(utc);
  });

  it.each(['', '2026-02-11', '2026-02-11 12:00:00Z', '2026-02-11T12:00Z', '2026-02-11T12:00:00', '2025-02-29T00:00:00Z', '2026-02-11T24:00:00Z', '2026-02-11T12:60:00Z', '2026-02-11T12:00:00+01:60', 'now'])(
    'refuses %j',
    (text) => {
      expect(parseInstant(text)).toBeNull();
    },
  );

  it('adds hours and minutes across days', () => {
    expect(addHours('2026-02-11T12:00:05.000Z', 24)).toBe('2026-02-12T12:00:05.000Z');
    expect(addMinutes('2026-02-11T23:50:00+00:00', 15)).toBe('2026-02-12T00:05:00.000Z');
  });

  it('compares instants in different zones', () => {
    expect(compareInstants('2026-02-11T13:00:00+01:00', '2026-02-11T12:00:00Z')).toBe(0);
    expect(compareInstants('2026-02-11T12:00:00Z', '2026-02-11T12:00:01Z')).toBeLessThan(0);
  });

  it('refuses arithmetic on a non-instant', () => {
    expect(thrownBy(() => addHours('tomorrow', 1))).toMatchObject({ code: 'invalid_instant' });
  });
});
