/** An error a user can act on: what went wrong, and how to fix it. The CLI prints it without a stack. */
export class SprigError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message}\n  fix: ${fix}` : message);
    this.name = 'SprigError';
  }
}

/** For unknown names in a registry: list the valid ones. */
export function unknownName(kind: string, name: string, valid: readonly string[]): SprigError {
  return new SprigError(`unknown ${kind} '${name}'`, `use one of: ${valid.join(', ')}`);
}
