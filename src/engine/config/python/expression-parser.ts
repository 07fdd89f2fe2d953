// The expression grammar of the Python config subset (arithmetic, calls, subscripts, displays,
// comprehensions, f-string fields); parser.ts adds the statements on top.
import { tokenize } from './tokenizer.js';
import { TokenCursor } from './token-cursor.js';
import { EXPRESSION_KEYWORDS, EXPRESSION_OPS, RESERVED, type CompFor, type DictEntry, type Expr, type Item, type Keyword, type Slice } from './syntax.js';

export class ExpressionParser extends TokenCursor {
  /** `a` or `a, b, ...` (a tuple without parentheses). */
  protected exprList(): Expr {
    const first = this.expr();
    if (!this.isOp(',')) return first;
    const items: Item[] = [{ starred: false, value: first }];
    while (this.isOp(',')) {
      this.i++;
      if (this.#atExprEnd()) break;
      items.push({ starred: false, value: this.expr() });
    }
    return { kind: 'tuple', items, pos: first.pos };
  }

  #atExprEnd(): boolean {
    const t = this.tok;
    return t.kind === 'newline' || t.kind === 'eof' || (t.kind === 'op' && ['=', ')', ']', '}', ';'].includes(t.value));
  }

  /** An expression: + and - over * / // % over unary over ** over primaries. */
  protected expr(allowNext: readonly string[] = []): Expr {
    const tok = this.tok;
    if (tok.kind === 'name' && (tok.value === 'lambda' || tok.value === 'not' || tok.value === 'await' || tok.value === 'yield')) {
      this.unsupported(tok, EXPRESSION_KEYWORDS[tok.value]!);
    }
    const e = this.#sum();
    const next = this.tok;
    if (next.kind === 'name' && next.value in EXPRESSION_KEYWORDS && !allowNext.includes(next.value)) this.unsupported(next, EXPRESSION_KEYWORDS[next.value]!);
    if (next.kind === 'op' && next.value in EXPRESSION_OPS) this.unsupported(next, EXPRESSION_OPS[next.value]!);
    return e;
  }

  #sum(): Expr {
    let left = this.#term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.tok;
      this.i++;
      left = { kind: 'binop', op: (op as { value: string }).value, left, right: this.#term(), pos: op.pos };
    }
    return left;
  }

  #term(): Expr {
    let left = this.#unary();
    while (['*', '/', '//', '%'].some((o) => this.isOp(o))) {
      const op = this.tok;
      this.i++;
      left = { kind: 'binop', op: (op as { value: string }).value, left, right: this.#unary(), pos: op.pos };
    }
    return left;
  }

  #unary(): Expr {
    const tok = this.tok;
    if (this.isOp('-') || this.isOp('+')) {
      this.i++;
      return { kind: 'unary', op: (tok as { value: string }).value, operand: this.#unary(), pos: tok.pos };
    }
    if (this.isOp('~')) this.unsupported(tok, EXPRESSION_OPS['~']!);
    return this.#power();
  }

  #power(): Expr {
    const base = this.#postfix();
    if (!this.isOp('**')) return base;
    const op = this.tok;
    this.i++;
    // The exponent may carry its own sign: 2 ** -1.
    return { kind: 'binop', op: '**', left: base, right: this.#unary(), pos: op.pos };
  }

  #postfix(): Expr {
    let e = this.#atom();
    for (;;) {
      const tok = this.tok;
      if (this.isOp('(')) {
        this.i++;
        e = this.#callArgs(e, tok.pos);
      } else if (this.isOp('[')) {
        this.i++;
        const index = this.#subscript();
        this.expectOp(']', 'to close the subscript');
        e = { kind: 'subscript', obj: e, index, pos: tok.pos };
      } else if (this.isOp('.')) {
        this.i++;
        e = { kind: 'attr', obj: e, name: this.expectName("after '.'").value, pos: tok.pos };
      } else {
        return e;
      }
    }
  }

  #subscript(): Expr | Slice {
    const pos = this.tok.pos;
    const part = (): Expr | undefined => (this.isOp(':') || this.isOp(']') ? undefined : this.expr());
    const start = part();
    if (!this.isOp(':')) {
      if (!start) this.fail(this.tok, 'expected an index inside [ ]');
      if (this.isOp(',')) this.unsupported(this.tok, 'a subscript with several indices');
      return start;
    }
    this.i++;
    const stop = part();
    let step: Expr | undefined;
    if (this.isOp(':')) {
      this.i++;
      step = part();
    }
    return { kind: 'slice', start, stop, step, pos };
  }

  #callArgs(func: Expr, pos: number): Expr {
    const args: Item[] = [];
    const kwargs: Keyword[] = [];
    while (!this.isOp(')')) {
      const tok = this.tok;
      if (this.isOp('**')) {
        this.i++;
        kwargs.push({ spread: this.expr(), pos: tok.pos });
      } else if (tok.kind === 'name' && this.isOp('=', this.peek())) {
        if (RESERVED.has(tok.value)) this.fail(tok, `'${tok.value}' is a Python keyword and cannot be a keyword argument`);
        this.i += 2;
        kwargs.push({ name: tok.value, value: this.expr(), pos: tok.pos });
      } else {
        const starred = this.isOp('*');
        if (starred) this.i++;
        if (kwargs.length && !starred) this.fail(tok, 'positional argument follows keyword argument');
        args.push({ starred, value: this.expr() });
      }
      if (!this.isOp(',')) break;
      this.i++;
    }
    this.expectOp(')', 'to close the call');
    return { kind: 'call', func, args, kwargs, pos };
  }

  #atom(): Expr {
    const tok = this.tok;
    switch (tok.kind) {
      case 'number':
        this.i++;
        return { kind: 'const', value: tok.value, isFloat: tok.isFloat, pos: tok.pos };
      case 'string':
      case 'fstring':
        return this.#strings();
      case 'baseref':
        this.i++;
        return { kind: 'baseref', path: tok.value, pos: tok.pos };
      case 'name': {
        if (tok.value === 'True' || tok.value === 'False' || tok.value === 'None') {
          this.i++;
          return { kind: 'const', value: tok.value === 'None' ? null : tok.value === 'True', pos: tok.pos };
        }
        if (tok.value in EXPRESSION_KEYWORDS) this.unsupported(tok, EXPRESSION_KEYWORDS[tok.value]!);
        if (RESERVED.has(tok.value)) this.fail(tok, `unexpected keyword '${tok.value}' in an expression`);
        this.i++;
        return { kind: 'name', id: tok.value, pos: tok.pos };
      }
      case 'op':
        if (tok.value === '(') return this.#parenthesized();
        if (tok.value === '[') return this.#listDisplay();
        if (tok.value === '{') return this.#dictDisplay();
        if (tok.value in EXPRESSION_OPS) this.unsupported(tok, EXPRESSION_OPS[tok.value]!);
        break;
      default:
        break;
    }
    this.fail(tok, `expected a value, got ${this.describe(tok)}`);
  }

  /** Adjacent string literals join ('a' 'b' == 'ab'); with an f-string among them the result is one f-string. */
  #strings(): Expr {
    const pos = this.tok.pos;
    const parts: (string | Expr)[] = [];
    let formatted = false;
    for (let t = this.tok; t.kind === 'string' || t.kind === 'fstring'; t = this.tok) {
      this.i++;
      if (t.kind === 'string') {
        parts.push(t.value);
        continue;
      }
      formatted = true;
      for (const part of t.parts) parts.push(typeof part === 'string' ? part : this.#field(part));
    }
    if (!formatted) return { kind: 'const', value: parts.join(''), pos };
    return { kind: 'fstring', parts, pos };
  }

  /** The expression of an f-string's `{...}` field, parsed from its own tokens. */
  #field(range: { start: number; end: number }): Expr {
    const sub = new ExpressionParser(this.src, tokenize(this.src, range));
    const e = sub.exprList();
    if (sub.tok.kind !== 'newline' && sub.tok.kind !== 'eof') sub.fail(sub.tok, `expected '}' to end the f-string field, got ${sub.describe(sub.tok)}`);
    return e;
  }

  #items(close: string, what: string): { items: Item[]; trailingComma: boolean } {
    const items: Item[] = [];
    let trailingComma = false;
    while (!this.isOp(close)) {
      const starred = this.isOp('*');
      if (starred) this.i++;
      items.push({ starred, value: this.expr() });
      trailingComma = false;
      if (this.isName('for') || this.isName('async')) this.unsupported(this.tok, 'a comprehension');
      if (!this.isOp(',')) break;
      this.i++;
      trailingComma = true;
    }
    this.expectOp(close, `to close the ${what}`);
    return { items, trailingComma };
  }

  #parenthesized(): Expr {
    const open = this.tok;
    this.i++;
    if (this.isName('yield')) this.unsupported(this.tok, 'yield');
    const { items, trailingComma } = this.#items(')', 'parenthesis');
    if (items.length === 1 && !trailingComma && !items[0]!.starred) return items[0]!.value;
    return { kind: 'tuple', items, pos: open.pos };
  }

  #listDisplay(): Expr {
    const open = this.tok;
    this.i++;
    if (!this.isOp(']') && !this.isOp('*')) {
      const start = this.i;
      const elt = this.expr(['for']);
      if (this.isName('for')) {
        const generators = this.#compFor();
        this.expectOp(']', 'to close the list comprehension');
        return { kind: 'listcomp', elt, generators, pos: open.pos };
      }
      this.i = start; // a plain list: parse it from its first item again
    }
    return { kind: 'list', items: this.#items(']', 'list').items, pos: open.pos };
  }

  /** `for a in xs for b, c in ys ...` (MMSeg's tta_pipeline: `[dict(...) for r in img_ratios]`); no `if` clauses. */
  #compFor(): CompFor[] {
    const generators: CompFor[] = [];
    while (this.isName('for')) {
      const tok = this.tok;
      this.i++;
      if (this.isName('async')) this.unsupported(this.tok, 'an async comprehension');
      const paren = this.isOp('(');
      if (paren) this.i++;
      const targets: string[] = [];
      let unpack = paren;
      for (;;) {
        const name = this.expectName('as a comprehension variable');
        if (RESERVED.has(name.value)) this.fail(name, `'${name.value}' cannot be a comprehension variable`);
        targets.push(name.value);
        if (!this.isOp(',')) break;
        unpack = true;
        this.i++;
        if (this.isName('in') || this.isOp(')')) break;
      }
      if (paren) this.expectOp(')', 'to close the comprehension variables');
      if (!this.isName('in')) this.fail(this.tok, `expected 'in' after the comprehension variables, got ${this.describe(this.tok)}`);
      this.i++;
      const iter = this.expr(['for', 'if']);
      if (this.isName('if')) this.unsupported(this.tok, "a condition in a comprehension ('if')");
      generators.push({ targets, unpack, iter, pos: tok.pos });
    }
    return generators;
  }

  #dictDisplay(): Expr {
    const open = this.tok;
    this.i++;
    const entries: DictEntry[] = [];
    while (!this.isOp('}')) {
      const tok = this.tok;
      if (this.isOp('**')) {
        this.i++;
        entries.push({ spread: this.expr(), pos: tok.pos });
      } else {
        const key = this.expr();
        if (this.isOp(',') || this.isOp('}')) this.unsupported(this.tok, 'a set literal ({a, b})');
        this.expectOp(':', 'between a dict key and its value');
        const value = this.expr(entries.length === 0 ? ['for'] : []);
        if (this.isName('for')) {
          const generators = this.#compFor();
          this.expectOp('}', 'to close the dict comprehension');
          return { kind: 'dictcomp', key, value, generators, pos: open.pos };
        }
        entries.push({ key, value });
      }
      if (this.isName('for') || this.isName('async')) this.unsupported(this.tok, 'a comprehension');
      if (!this.isOp(',')) break;
      this.i++;
    }
    this.expectOp('}', 'to close the dict');
    return { kind: 'dict', entries, pos: open.pos };
  }
}
