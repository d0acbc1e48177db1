/**
 * A refusal as FortiOS words it: an HTTP status, a CLI return code (absent on some 404s) and the
 * CLI's text. Thrown by the model, turned into an error envelope by the API layer.
 */
export class CliFailure extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number | undefined,
    readonly cliText: string,
    /** Injected faults pass their text verbatim. */
    private readonly appendCode = true,
  ) {
    super(cliText);
  }

  /** FortiOS appends the return code to the CLI text, e.g. `…\nCommand fail. Return code -23`. */
  get cliError(): string {
    return this.code === undefined || !this.appendCode
      ? this.cliText
      : `${this.cliText}\nCommand fail. Return code ${this.code}`;
  }
}
