import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

export interface PageRequest {
  readonly page: number;
  readonly pageSize: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly pagination: { page: number; page_size: number; total: number; total_pages: number };
}

/** One page of an ordered query, with the totals the list endpoints answer with. */
export async function pageOf<Row extends ObjectLiteral, T>(q: SelectQueryBuilder<Row>, p: PageRequest, map: (row: Row) => T): Promise<Page<T>> {
  const [rows, total] = await q
    .skip((p.page - 1) * p.pageSize)
    .take(p.pageSize)
    .getManyAndCount();
  return { items: rows.map(map), pagination: { page: p.page, page_size: p.pageSize, total, total_pages: Math.ceil(total / p.pageSize) } };
}

/** One page of a list already in memory and in order. */
export function pageOfItems<Item, T>(items: readonly Item[], p: PageRequest, map: (item: Item) => T): Page<T> {
  const total = items.length;
  const page = items.slice((p.page - 1) * p.pageSize, p.page * p.pageSize).map(map);
  return { items: page, pagination: { page: p.page, page_size: p.pageSize, total, total_pages: Math.ceil(total / p.pageSize) } };
}
