// One call's way back from a rejected token (8005 & co): renew once, then
// re-read once, then stop the run. Kept apart from the client so the order of
// those steps is read in one place.
import { TokenUnavailableError, type TokenInvalidError } from './errors.ts';
import type { KiwoomLogger } from './logger.ts';
import type { TokenSource } from './types.ts';

/**
 * What one call does when Kiwoom rejects its token: renew once (the source
 * takes a replacement somebody already made, or gets a new one); if the
 * renewed token is rejected too, re-read once where tokens are kept (another
 * issuer may have replaced it a moment ago); then give up with a run-stopping
 * TokenUnavailableError, since every code would meet the same.
 */
export class TokenRecovery {
  #renewed = false;
  #reread = false;
  #replacement: string | undefined;

  constructor(
    private readonly tokens: TokenSource,
    private readonly logger: KiwoomLogger,
    private readonly call: { apiId: string; stkCd: string; signal: AbortSignal | undefined },
  ) {}

  /** The token to use next, if the last rejection produced one. */
  take(): string | undefined {
    const token = this.#replacement;
    this.#replacement = undefined;
    return token;
  }

  async after(error: TokenInvalidError, rejected: string): Promise<void> {
    const where = { apiId: this.call.apiId, stkCd: this.call.stkCd, detailCode: error.detailCode };
    if (!this.#renewed) {
      this.#renewed = true;
      this.logger.info('kiwoom token rejected; renewing once', where);
      this.#replacement = await this.tokens.renew(rejected, this.call.signal);
      return;
    }
    if (!this.#reread && this.tokens.replaced !== undefined) {
      this.#reread = true;
      const other = await this.tokens.replaced(rejected);
      if (other !== undefined) {
        this.logger.info('kiwoom rejected the renewed token; another one is in place, trying it', where);
        this.#replacement = other;
        return;
      }
    }
    throw new TokenUnavailableError(
      'Kiwoom rejected the renewed token too; is another program issuing tokens for this app key?',
      { cause: error },
    );
  }
}
