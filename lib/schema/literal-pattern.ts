// Text matched as itself inside a regular expression (a key in a message, a credential in
// upstream text): every character a pattern reads as syntax is escaped.

/** `text` as a RegExp source that matches it and nothing else. */
export const literalPattern = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
