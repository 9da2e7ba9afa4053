import type { AnswerHeaders } from './effect.js';

/**
 * The headers of a fast-path answer, in the order they were first set, as Apollo's `HeaderMap` keeps them: a later
 * `set` of the same name replaces the value in place. A handful of headers: a list beats a map.
 */
export class HeaderList implements AnswerHeaders {
  readonly entries: Array<[string, string]> = [];

  set(name: string, value: string): void {
    for (const entry of this.entries) {
      if (entry[0] === name) {
        entry[1] = value;
        return;
      }
    }
    this.entries.push([name, value]);
  }

  has(name: string): boolean {
    return this.entries.some((entry) => entry[0] === name);
  }
}
