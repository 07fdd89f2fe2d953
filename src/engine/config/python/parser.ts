// Parses the tokens of a Python config into statements of the subset MMEngine's classic configs
// use; any other construct is an error that names it and its file:line:column.
import type { PySource } from './source.js';
import type { Token } from './tokenizer.js';
import { ExpressionParser } from './expression-parser.js';
import { EXPRESSION_KEYWORDS, EXPRESSION_OPS, STATEMENT_KEYWORDS, type Stmt } from './syntax.js';

export class Parser extends ExpressionParser {
  /** The whole module as a list of statements. */
  parseModule(): Stmt[] {
    const out: Stmt[] = [];
    while (this.tok.kind !== 'eof') {
      if (this.tok.kind === 'newline' || this.isOp(';')) {
        this.i++;
        continue;
      }
      if (this.tok.kind === 'indent') this.fail(this.tok, 'unexpected indentation: a config has only top-level statements');
      out.push(this.#statement());
      if (this.isOp(';')) continue;
      const end = this.peek(0);
      if (end.kind !== 'newline' && end.kind !== 'eof') {
        if (end.kind === 'op' && end.value in EXPRESSION_OPS) this.unsupported(end, EXPRESSION_OPS[end.value]!);
        if (end.kind === 'name' && end.value in EXPRESSION_KEYWORDS) this.unsupported(end, EXPRESSION_KEYWORDS[end.value]!);
        this.fail(end, `expected the end of the statement, got ${this.describe(end)}`);
      }
    }
    return out;
  }

  #statement(): Stmt {
    const tok = this.tok;
    if (tok.kind === 'name' && (tok.value === 'import' || tok.value === 'from')) return this.#importStatement();
    if (this.isName('with') && this.isName('read_base', this.peek())) {
      this.fail(tok, "MMEngine's new-style (lazy import) configs are not supported: write a classic config with _base_ = ['...py'] and dict(...) values");
    }
    if (tok.kind === 'name' && tok.value in STATEMENT_KEYWORDS) this.unsupported(tok, STATEMENT_KEYWORDS[tok.value]!);
    const first = this.exprList();
    const next = this.tok;
    if (this.isOp('=')) {
      if (first.kind !== 'name') {
        const what = first.kind === 'tuple' ? 'tuple unpacking (a, b = ...)' : first.kind === 'subscript' ? "assignment to an item (x['k'] = ...)"
          : first.kind === 'attr' ? 'assignment to an attribute (x.k = ...)' : 'assignment to an expression';
        this.unsupported(first, what);
      }
      this.i++;
      const value = this.exprList();
      if (this.isOp('=')) this.unsupported(this.tok, 'chained assignment (a = b = ...)');
      return { kind: 'assign', target: first.id, value, pos: first.pos };
    }
    if (next.kind === 'op' && next.value.length >= 2 && next.value.endsWith('=') && !['==', '!=', '<=', '>='].includes(next.value)) {
      this.unsupported(next, `augmented assignment (${next.value})`);
    }
    if (this.isOp(':')) this.unsupported(next, 'an annotated assignment (x: T = ...)');
    return { kind: 'expr', value: first, pos: first.pos };
  }

  /** `import a.b as c, d` or `from m import x as y, (z)` / `*`. */
  #importStatement(): Stmt {
    const start = this.tok as Token & { kind: 'name' };
    this.i++;
    const dotted = (): string => {
      let name = '';
      while (this.isOp('.') || this.isOp('...')) name += (this.tok as { value: string }).value, this.i++;
      if (this.tok.kind === 'name' && this.tok.value !== 'import') {
        name += this.expectName('').value;
        while (this.isOp('.')) {
          this.i++;
          name += '.' + this.expectName("after '.' in a module name").value;
        }
      }
      if (!name) this.fail(this.tok, `expected a module name, got ${this.describe(this.tok)}`);
      return name;
    };
    const names: { bound: string; pos: number }[] = [];
    if (start.value === 'import') {
      do {
        const pos = this.tok.pos;
        const module = dotted();
        const bound = this.isName('as') ? (this.i++, this.expectName("after 'as'").value) : module.split('.')[0]!;
        names.push({ bound, pos });
      } while (this.isOp(',') && ++this.i);
      return { kind: 'import', module: '', names, from: false, pos: start.pos };
    }
    const module = dotted();
    if (!this.isName('import')) this.fail(this.tok, `expected 'import' after 'from ${module}', got ${this.describe(this.tok)}`);
    this.i++;
    if (this.isOp('*')) {
      this.i++;
      return { kind: 'import', module, names: [{ bound: '*', pos: start.pos }], from: true, pos: start.pos };
    }
    const paren = this.isOp('(');
    if (paren) this.i++;
    do {
      if (paren && this.isOp(')')) break;
      const tok = this.expectName(`after 'from ${module} import'`);
      const bound = this.isName('as') ? (this.i++, this.expectName("after 'as'").value) : tok.value;
      names.push({ bound, pos: tok.pos });
    } while (this.isOp(',') && ++this.i);
    if (paren) this.expectOp(')', `to close 'from ${module} import ('`);
    return { kind: 'import', module, names, from: true, pos: start.pos };
  }
}

/** Parses a whole config file. */
export function parseModule(src: PySource): Stmt[] {
  return new Parser(src).parseModule();
}
