// The token stream of a Python config with the parser's lookahead, expectations and error
// messages (file:line:column), so parser.ts holds the grammar alone.
import type { PySource } from './source.js';
import { tokenize, type Token } from './tokenizer.js';
import { EXPRESSION_KEYWORDS, EXPRESSION_OPS } from './syntax.js';

export class TokenCursor {
  protected readonly tokens: Token[];
  protected i = 0;

  /** `tokens`: an already split part of `src` (an f-string's field); by default the whole file. */
  constructor(readonly src: PySource, tokens?: Token[]) {
    this.tokens = tokens ?? tokenize(src);
  }

  protected get tok(): Token {
    return this.tokens[this.i]!;
  }

  protected peek(n = 1): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)]!;
  }

  protected isOp(value: string, tok: Token = this.tok): boolean {
    return tok.kind === 'op' && tok.value === value;
  }

  protected isName(value: string, tok: Token = this.tok): boolean {
    return tok.kind === 'name' && tok.value === value;
  }

  protected describe(tok: Token): string {
    switch (tok.kind) {
      case 'newline': return 'the end of the line';
      case 'indent': return 'an indented line';
      case 'eof': return 'the end of the file';
      case 'string': case 'fstring': return 'a string';
      case 'number': return 'a number';
      case 'baseref': return `{{_base_.${tok.value}}}`;
      default: return `'${tok.value}'`;
    }
  }

  protected fail(at: { pos: number }, detail: string): never {
    throw this.src.error(at.pos, detail);
  }

  protected unsupported(at: { pos: number }, what: string): never {
    this.fail(at, `${what} is not supported in a config read without Python (only assignments of dict/list/tuple/number/string values)`);
  }

  protected expectOp(value: string, context: string): Token {
    const tok = this.tok;
    if (!this.isOp(value, tok)) {
      if (tok.kind === 'op' && tok.value in EXPRESSION_OPS) this.unsupported(tok, EXPRESSION_OPS[tok.value]!);
      if (tok.kind === 'name' && tok.value in EXPRESSION_KEYWORDS) this.unsupported(tok, EXPRESSION_KEYWORDS[tok.value]!);
      this.fail(tok, `expected '${value}' ${context}, got ${this.describe(tok)}`);
    }
    this.i++;
    return tok;
  }

  protected expectName(context: string): Token & { kind: 'name' } {
    const tok = this.tok;
    if (tok.kind !== 'name') this.fail(tok, `expected a name ${context}, got ${this.describe(tok)}`);
    this.i++;
    return tok;
  }
}
