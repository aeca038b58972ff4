import { capsAskedFor, exactField, type FieldCaps } from './exact-fields';

const KEYWORD = { keyword: { aggregatable: true } };
const TEXT = { text: { aggregatable: false } };
const ANY = { hasIndices: true, required: false };

describe('the exact name of a configured field', () => {
  it('is the field itself where every index maps it as something exact (keyword, ip, a number…)', () => {
    expect(exactField({ 'service.name': KEYWORD }, 'service.name', 'events*', ANY)).toEqual({ name: 'service.name', problem: null, partial: null });
    expect(exactField({ 'source.ip': { ip: { aggregatable: true } } }, 'source.ip', 'events*', ANY).name).toBe('source.ip');
  });

  it('is the keyword sub-field where a feed left strings to dynamic mapping (text with .keyword)', () => {
    const caps: FieldCaps = { 'service.name': TEXT, 'service.name.keyword': KEYWORD };
    expect(exactField(caps, 'service.name', 'events*', ANY)).toEqual({ name: 'service.name.keyword', problem: null, partial: null });
  });

  it('says what is left out where some indices map it as keyword and others as text', () => {
    const caps: FieldCaps = { 'event.action': { ...KEYWORD, ...TEXT }, 'event.action.keyword': KEYWORD };
    const resolved = exactField(caps, 'event.action', 'events*', ANY);
    expect(resolved.name).toBe('event.action.keyword');
    expect(resolved.partial).toMatch(/keyword in some indices of events\* and as text in others/);
  });

  it('is a problem where the field is text with no keyword sub-field', () => {
    expect(exactField({ 'user.name': TEXT }, 'user.name', 'events*', ANY).problem).toBe(
      'user.name is analysed text in events* with no keyword sub-field, so it can be neither matched exactly nor counted (map it as keyword)',
    );
    expect(exactField({ 'user.name': TEXT, 'user.name.keyword': TEXT }, 'user.name', 'events*', ANY).problem).not.toBeNull();
  });

  it('is a problem where the field is text made aggregatable (fielddata): it is still split into words', () => {
    expect(exactField({ 'service.name': { text: { aggregatable: true } } }, 'service.name', 'indicators*', ANY).problem).toMatch(/^service\.name is analysed text in indicators\* with no keyword sub-field/);
    expect(exactField({ 'service.name': { text: { aggregatable: true } }, 'service.name.keyword': KEYWORD }, 'service.name', 'indicators*', ANY).name).toBe('service.name.keyword');
  });

  it('is a problem where the field lies in an object some index maps as nested', () => {
    const caps: FieldCaps = { service: { nested: { aggregatable: false } }, 'service.name': KEYWORD };
    expect(exactField(caps, 'service.name', 'indicators*', ANY).problem).toBe(
      'service is mapped as nested in indicators*, so service.name within it can be neither matched nor counted by a plain query (map service as an object)',
    );
    expect(exactField({ service: { object: { aggregatable: false } }, 'service.name': KEYWORD }, 'service.name', 'indicators*', ANY).problem).toBeNull();
  });

  it('asks about the field, its keyword sub-field and each object it lies in', () => {
    expect(capsAskedFor('threat.indicator.score')).toEqual(['threat.indicator.score', 'threat.indicator.score.keyword', 'threat', 'threat.indicator']);
    expect(capsAskedFor('tags')).toEqual(['tags', 'tags.keyword']);
  });

  it('is no problem where no index maps it: there is nothing to find, unless the module field is missing from indices that exist', () => {
    expect(exactField({}, 'user.name', 'events*', ANY)).toEqual({ name: 'user.name', problem: null, partial: null });
    expect(exactField({}, 'service.name', 'events*', { hasIndices: false, required: true }).problem).toBeNull();
    expect(exactField({}, 'svc', 'events*', { hasIndices: true, required: true }).problem).toBe('no index of events* has a field svc (check siem.elasticsearch.fields)');
  });
});
