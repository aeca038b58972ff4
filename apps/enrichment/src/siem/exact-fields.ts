/*
 * Medic matches a module's documents by exact value and counts their actions,
 * outcomes, addresses and users. Elasticsearch can do both only on fields
 * mapped as keyword (or ip, number, date…). An index a feed created without a
 * template maps strings as analysed text, with a `.keyword` sub-field: a term
 * filter on the text field misses "payment-api" (it was split into words) and
 * an aggregation on it fails outright. So each configured field is resolved,
 * from the index pattern's mappings, to the name that can be matched and
 * counted, and a field that has none is named rather than read as "nothing
 * found".
 */

/** The capabilities of one field by mapping type, as `_field_caps` gives them. */
export type FieldCaps = Readonly<Record<string, Readonly<Record<string, { readonly aggregatable?: boolean }>>>>;

/** The name a configured field is matched and counted by, or why it cannot be. */
export interface ExactField {
  readonly name: string;
  /** Set when no index of the pattern lets the field be matched exactly; the field's part of the answer is then unknown. */
  readonly problem: string | null;
  /** Set when only some of the pattern's indices can be counted by `name` (their mappings differ): what is left out. */
  readonly partial: string | null;
}

/**
 * Resolves `field` within `pattern`, given the pattern's field capabilities
 * and whether the pattern has any index at all: the field itself where every
 * index maps it as something exact, else its `.keyword` sub-field, else a
 * problem. A field no index maps means there is nothing to find, except for a
 * `required` one (the module) while the pattern has indices: its configured
 * name is then likely wrong, and nothing could ever be found.
 */
export function exactField(caps: FieldCaps, field: string, pattern: string, opts: { readonly hasIndices: boolean; readonly required: boolean }): ExactField {
  const nested = nestedParentOf(caps, field);
  if (nested !== null) {
    return {
      name: field,
      problem: `${nested} is mapped as nested in ${pattern}, so ${field} within it can be neither matched nor counted by a plain query (map ${nested} as an object)`,
      partial: null,
    };
  }
  const own = caps[field];
  if (own === undefined) {
    const problem = opts.required && opts.hasIndices ? `no index of ${pattern} has a field ${field} (check siem.elasticsearch.fields)` : null;
    return { name: field, problem, partial: null };
  }
  const exactTypes = Object.entries(own).filter(([type, c]) => isExact(type, c)).length;
  if (exactTypes === Object.keys(own).length) return { name: field, problem: null, partial: null };
  const keyword = caps[`${field}.keyword`];
  if (keyword !== undefined && Object.entries(keyword).every(([type, c]) => isExact(type, c))) {
    const partial =
      exactTypes > 0 ? `mapped as keyword in some indices of ${pattern} and as text in others: counted by ${field}.keyword, so only in the indices that have it` : null;
    return { name: `${field}.keyword`, problem: null, partial };
  }
  return {
    name: field,
    problem: `${field} is analysed text in ${pattern} with no keyword sub-field, so it can be neither matched exactly nor counted (map it as keyword)`,
    partial: null,
  };
}

/** Analysed text: split into words, so never matched by exact value, even where fielddata makes it aggregatable. */
const ANALYSED = new Set(['text', 'match_only_text', 'annotated_text', 'search_as_you_type']);

function isExact(type: string, caps: { readonly aggregatable?: boolean }): boolean {
  return caps.aggregatable === true && !ANALYSED.has(type);
}

/** What `_field_caps` is asked about a field: the field, its keyword sub-field, and the objects it lies in. */
export function capsAskedFor(field: string): string[] {
  return [field, `${field}.keyword`, ...parentsOf(field)];
}

/** The object the field lies in that some index maps as nested, if any: a plain term query or aggregation finds nothing inside it. */
function nestedParentOf(caps: FieldCaps, field: string): string | null {
  return parentsOf(field).find((parent) => caps[parent]?.['nested'] !== undefined) ?? null;
}

/** The objects a dotted field lies in, outermost first: `threat`, `threat.indicator` for `threat.indicator.score`. */
function parentsOf(field: string): string[] {
  const parts = field.split('.');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'));
}
