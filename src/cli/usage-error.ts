/** A mistake in how the command was called; exits with 2. */
export class UsageError extends Error {}
