// The syntax of the Python config subset: its tree (expressions and statements, each with the
// source offset of its start) and the names of the constructs it rejects, for error messages.

export type Expr =
  | { kind: 'const'; value: null | boolean | number | string; isFloat?: boolean; pos: number }
  | { kind: 'name'; id: string; pos: number }
  | { kind: 'baseref'; path: string; pos: number }
  | { kind: 'list' | 'tuple'; items: Item[]; pos: number }
  | { kind: 'dict'; entries: DictEntry[]; pos: number }
  | { kind: 'call'; func: Expr; args: Item[]; kwargs: Keyword[]; pos: number }
  | { kind: 'attr'; obj: Expr; name: string; pos: number }
  | { kind: 'subscript'; obj: Expr; index: Expr | Slice; pos: number }
  | { kind: 'binop'; op: string; left: Expr; right: Expr; pos: number }
  | { kind: 'unary'; op: string; operand: Expr; pos: number }
  | { kind: 'listcomp'; elt: Expr; generators: CompFor[]; pos: number }
  | { kind: 'dictcomp'; key: Expr; value: Expr; generators: CompFor[]; pos: number }
  /** An f-string (with any adjacent plain strings): literal text and `{expression}` fields. */
  | { kind: 'fstring'; parts: (string | Expr)[]; pos: number };

/** One `for NAME[, NAME...] in ITER` clause of a comprehension (`unpack`: the target was a tuple). */
export type CompFor = { targets: string[]; unpack: boolean; iter: Expr; pos: number };

/** A list/tuple item or positional argument; `*x` unpacks. */
export type Item = { starred: boolean; value: Expr };
export type DictEntry = { key: Expr; value: Expr } | { spread: Expr; pos: number };
export type Keyword = { name: string; value: Expr; pos: number } | { spread: Expr; pos: number };
export type Slice = { kind: 'slice'; start?: Expr; stop?: Expr; step?: Expr; pos: number };

export type Stmt =
  | { kind: 'assign'; target: string; value: Expr; pos: number }
  | { kind: 'import'; module: string; names: { bound: string; pos: number }[]; from: boolean; pos: number }
  | { kind: 'expr'; value: Expr; pos: number };

export const STATEMENT_KEYWORDS: Record<string, string> = {
  def: 'a function definition (def)', class: 'a class definition', if: 'an if statement', elif: 'an if statement',
  else: 'an if statement', for: 'a for loop', while: 'a while loop', try: 'a try statement', except: 'a try statement',
  finally: 'a try statement', with: 'a with statement', return: 'return', yield: 'yield', global: 'a global statement',
  nonlocal: 'a nonlocal statement', del: 'a del statement', assert: 'an assert statement', raise: 'a raise statement',
  pass: 'a pass statement', break: 'break', continue: 'continue', async: 'async code', await: 'await', lambda: 'a lambda',
};
export const EXPRESSION_KEYWORDS: Record<string, string> = {
  if: 'a conditional expression (x if c else y)', for: 'a comprehension', and: "the boolean operator 'and'",
  or: "the boolean operator 'or'", not: "the operator 'not'", in: "the operator 'in'", is: "the operator 'is'",
  lambda: 'a lambda', await: 'await', yield: 'yield', async: 'a comprehension',
};
export const EXPRESSION_OPS: Record<string, string> = {
  '==': 'a comparison', '!=': 'a comparison', '<': 'a comparison', '>': 'a comparison', '<=': 'a comparison', '>=': 'a comparison',
  '|': "the bitwise operator '|'", '&': "the bitwise operator '&'", '^': "the bitwise operator '^'", '~': "the bitwise operator '~'",
  '<<': 'a bit shift', '>>': 'a bit shift', '@': 'matrix multiplication', ':=': 'an assignment expression (:=)',
  '...': 'Ellipsis',
};
/** Names that can never be assigned or read as variables. */
export const RESERVED = new Set(['False', 'None', 'True', ...Object.keys(STATEMENT_KEYWORDS), 'and', 'or', 'not', 'in', 'is', 'import', 'from', 'as']);
