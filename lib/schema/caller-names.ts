// Names a caller chose (unknown fields of a query, a body or a policy) as an error message shows
// them. They come straight from the request, so an answer and its log line take a bounded,
// printable part of them: a 200,000-character key is not repeated back 200,000 characters long.

/** How many unknown names a message lists, and how many characters of each. */
const MAX_NAMES = 5;
const MAX_NAME_LENGTH = 64;

/** One caller-chosen name: control characters replaced, cut to MAX_NAME_LENGTH. */
export const shownName = (name: string): string => {
  const printable = name.replace(/\p{Cc}/gu, '\uFFFD');
  return printable.length > MAX_NAME_LENGTH
    ? `${printable.slice(0, MAX_NAME_LENGTH)}… (${printable.length} characters)`
    : printable;
};

/** `a, b, c` or, past MAX_NAMES, `a, b, c, d, e and 7 more`. */
const shownNames = (names: readonly string[]): string => {
  const shown = names.slice(0, MAX_NAMES).map(shownName).join(', ');
  return names.length > MAX_NAMES ? `${shown} and ${names.length - MAX_NAMES} more` : shown;
};

/** The one wording of a refusal of unknown fields (a query, a body, a policy, a route's query). */
export const unknownFields = (names: readonly string[]): string =>
  `unknown field(s): ${shownNames(names)}`;
