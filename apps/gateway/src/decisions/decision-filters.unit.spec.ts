import { ApiError } from '@medic/eventlog';
import { MAX_PAGE_SIZE, parseDecisionFilters, parseModuleFilters } from './decision-filters';

describe('parseDecisionFilters', () => {
  it('defaults to the first page of 50 with no filter', () => {
    expect(parseDecisionFilters({})).toEqual({ module: null, outcome: null, riskLevel: null, since: null, until: null, page: 1, pageSize: 50 });
  });

  it('reads every filter', () => {
    const f = parseDecisionFilters({ module: 'nginx-test', outcome: 'deny', risk_level: 'high', since: '2026-02-01', until: '2026-02-11T12:00:00Z', page: '3', page_size: '20' });
    expect(f).toEqual({
      module: 'nginx-test',
      outcome: 'deny',
      riskLevel: 'high',
      since: new Date('2026-02-01T00:00:00Z'),
      until: new Date('2026-02-11T12:00:00Z'),
      page: 3,
      pageSize: 20,
    });
  });

  it.each([
    [{ outcome: 'maybe' }, 'outcome'],
    [{ risk_level: 'extreme' }, 'risk_level'],
    [{ module: '../etc/passwd' }, 'module'],
    [{ since: 'yesterday' }, 'since'],
    [{ until: '2026-13-45T99:99:99Z' }, 'until'],
    // Days and hours that do not exist are refused, not rolled over into the next ones.
    [{ since: '2026-02-30' }, 'since'],
    [{ since: '2025-02-29T10:00:00Z' }, 'since'],
    [{ until: '2026-02-11T24:00:00Z' }, 'until'],
    [{ until: '2026-02-11T10:60Z' }, 'until'],
    [{ until: '2026-02-11T10:00+24:00' }, 'until'],
    // Outside what Postgres and a four-digit year hold.
    [{ since: '0000-01-01' }, 'since'],
    [{ until: '9999-12-31T23:00:00-05:00' }, 'until'],
    [{ page: '0' }, 'page'],
    [{ page: '-1' }, 'page'],
    [{ page_size: String(MAX_PAGE_SIZE + 1) }, 'page_size'],
    [{ page_size: '1.5' }, 'page_size'],
    [{ since: '2026-02-11', until: '2026-02-01' }, 'since'],
    [{ outcome: ['deny', 'defer'] }, 'outcome'],
    [{ sort: 'asc' }, 'sort'],
  ])('refuses %j naming %s', (query, field) => {
    let caught: unknown;
    try {
      parseDecisionFilters(query);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect(caught).toMatchObject({ status: 400, code: 'validation_error', field });
  });

  it('reads a time without an offset as UTC, any offset, leap days and the ends of the years 0001–9999', () => {
    expect(parseDecisionFilters({ since: '2026-02-11T10:00' }).since).toEqual(new Date('2026-02-11T10:00:00Z'));
    expect(parseDecisionFilters({ since: '2026-02-11T10:00:00.5+0130' }).since).toEqual(new Date('2026-02-11T08:30:00.500Z'));
    expect(parseDecisionFilters({ since: '2024-02-29' }).since).toEqual(new Date('2024-02-29T00:00:00Z'));
    expect(parseDecisionFilters({ since: '0001-01-01', until: '9999-12-31T23:59:59.999Z' })).toMatchObject({ since: new Date('0001-01-01T00:00:00Z'), until: new Date('9999-12-31T23:59:59.999Z') });
  });

  it('says what a page may be, for a negative one too', () => {
    expect(() => parseDecisionFilters({ page: '-1' })).toThrow(/page: must be between 1 and/);
    expect(() => parseDecisionFilters({ page_size: 'ten' })).toThrow(new RegExp(`page_size: must be a whole number between 1 and ${MAX_PAGE_SIZE}`));
  });
});

describe('parseModuleFilters', () => {
  it('reads quarantined as a boolean, the rest as /decisions does', () => {
    expect(parseModuleFilters({ quarantined: 'true', module: 'nginx-test', page_size: '10' })).toEqual({
      module: 'nginx-test',
      quarantined: true,
      since: null,
      until: null,
      page: 1,
      pageSize: 10,
    });
    expect(parseModuleFilters({ quarantined: 'false' }).quarantined).toBe(false);
    expect(parseModuleFilters({}).quarantined).toBeNull();
  });

  it.each([
    [{ quarantined: 'yes' }, 'quarantined'],
    [{ outcome: 'deny' }, 'outcome'],
    [{ module: '../etc' }, 'module'],
  ])('refuses %j naming %s', (query, field) => {
    let caught: unknown;
    try {
      parseModuleFilters(query);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ status: 400, code: 'validation_error', field });
  });
});
