/**
 * GraphQL response bodies made comparable across two gateways: what depends on the clock (ages, generation times,
 * freshness left) and stack traces (whose frames name the code path) are replaced; everything else is kept, key
 * order included.
 */
export function normaliseValue(value: unknown, key = ''): unknown {
  if (key === 'ageSeconds' || key === 'freshForSeconds') return typeof value === 'number' ? '<seconds>' : value;
  if (key === 'generatedAt' || key === 'freshUntil') return typeof value === 'string' ? '<date>' : value;
  if (key === 'stacktrace') return Array.isArray(value) ? '<stacktrace>' : value;
  if (Array.isArray(value)) return value.map((entry) => normaliseValue(entry));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, entry]) => [name, normaliseValue(entry, name)]));
  }
  return value;
}
