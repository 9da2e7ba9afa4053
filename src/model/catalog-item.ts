/** An item of the catalogue, as clients see it. */
export interface CatalogItem {
  readonly id: string;
  readonly title: string;
  readonly category: string;
}
