/** The errors the generated codecs (src/wire/gen/) throw for bytes that are not the message they should be. */

/** A field whose wire type is not its type's, or a message whose bytes end inside a field. */
export function wrongType(where: string): Error {
  return new Error(`cannot parse ${where}: malformed or mistyped field`);
}
