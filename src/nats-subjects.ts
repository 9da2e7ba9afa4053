/**
 * NATS subject rules, as far as configuration needs them (https://docs.nats.io/nats-concepts/subjects): tokens
 * separated by `.`, none empty, no white space; in a filter `*` stands for one whole token and `>` for one or more
 * trailing tokens.
 */

/** A valid subject; with `wildcards`, also a filter. */
export function isValidSubject(subject: string, wildcards: boolean): boolean {
  if (subject.length === 0 || subject.length > 255 || /\s/.test(subject)) return false;
  const tokens = subject.split('.');
  return tokens.every((token, index) => {
    if (token === '') return false;
    if (token === '*') return wildcards;
    if (token === '>') return wildcards && index === tokens.length - 1;
    return !token.includes('*') && !token.includes('>');
  });
}

/** Whether a message published on `subject` (no wildcards) is caught by `filter`. */
export function subjectMatches(filter: string, subject: string): boolean {
  const wanted = filter.split('.');
  const tokens = subject.split('.');
  for (let index = 0; index < wanted.length; index += 1) {
    const token = wanted[index];
    if (token === '>') return tokens.length > index;
    if (index >= tokens.length) return false;
    if (token !== '*' && token !== tokens[index]) return false;
  }
  return wanted.length === tokens.length;
}
