//! Tokens to a syntax tree, by recursive descent over the grammar in the module docs.
use super::ast::{CmpOp, Collection, Expr, ExprKind, Ident, Sign, Span, Term, TermKind};
use super::lexer::{lex, span_at, Tok, Token};
use super::{FilterError, MAX_DEPTH, MAX_LEN};
use crate::msg::FilterMsg as M;

const KEYWORDS: &[&str] = &["and", "or", "not", "in", "is", "empty", "exists", "count", "true", "false", "now", "today", "me"];

fn is_keyword(s: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(s))
}

/// Parses filter text into a syntax tree. Checks length, nesting and syntax; names are
/// resolved later by [`check`](super::check).
pub fn parse(src: &str) -> Result<Expr, FilterError> {
    let n = src.chars().count();
    if n > MAX_LEN {
        return Err(FilterError::new(span_at(src, MAX_LEN, n - MAX_LEN), M::TooLong { n: n as i64, max: MAX_LEN as i64 }));
    }
    let toks = lex(src)?;
    let mut p = Parser { toks, pos: 0, depth: 0 };
    if p.peek().tok == Tok::Eof {
        return Err(FilterError::new(p.peek().span, M::Empty {}).hint(M::HintExample {}));
    }
    let e = p.or_expr()?;
    let t = p.peek();
    match t.tok {
        Tok::Eof => Ok(e),
        Tok::RParen => Err(FilterError::new(t.span, M::UnmatchedClose {}).hint(M::HintUnmatchedClose {})),
        _ => Err(FilterError::new(t.span, M::AfterComplete { found: t.describe() }).hint(M::HintJoin {})),
    }
}

static EOF: Token = Token { tok: Tok::Eof, span: Span { offset: 0, len: 0, line: 1, column: 1 } };

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

type R<T> = Result<T, FilterError>;

impl Parser {
    fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    /// The token list ends with Eof and `bump` never moves past it; past the end is Eof too.
    fn peek_at(&self, ahead: usize) -> &Token {
        self.toks.get(self.pos + ahead).or(self.toks.last()).unwrap_or(&EOF)
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn at_kw(&self, kw: &str) -> bool {
        self.peek().is_kw(kw)
    }

    fn enter(&mut self, at: Span) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(at, M::TooDeep { max: MAX_DEPTH as i64 }).hint(M::HintSimplify {}));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn or_expr(&mut self) -> R<Expr> {
        let first = self.and_expr()?;
        if !self.at_kw("or") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.at_kw("or") {
            self.bump();
            items.push(self.and_expr()?);
        }
        Ok(group(items, ExprKind::Or))
    }

    fn and_expr(&mut self) -> R<Expr> {
        let first = self.unary()?;
        if !self.at_kw("and") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.at_kw("and") {
            self.bump();
            items.push(self.unary()?);
        }
        Ok(group(items, ExprKind::And))
    }

    fn unary(&mut self) -> R<Expr> {
        if !self.at_kw("not") {
            return self.primary();
        }
        let not = self.bump();
        self.enter(not.span)?;
        let inner = self.unary()?;
        self.leave();
        Ok(Expr { span: not.span.to(inner.span), kind: ExprKind::Not(Box::new(inner)) })
    }

    fn primary(&mut self) -> R<Expr> {
        if self.peek().tok == Tok::LParen {
            let open = self.bump();
            self.enter(open.span)?;
            let inner = self.or_expr()?;
            self.close(open.span)?;
            self.leave();
            return Ok(inner);
        }
        if self.at_kw("exists") {
            let kw = self.bump();
            self.enter(kw.span)?;
            let (c, span) = self.collection()?;
            self.leave();
            return Ok(Expr { span: kw.span.to(span), kind: ExprKind::Exists(c) });
        }
        self.predicate()
    }

    /// Expects the `)` that closes the `(` at `open`.
    fn close(&mut self, open: Span) -> R<Span> {
        let t = self.peek().clone();
        match t.tok {
            Tok::RParen => Ok(self.bump().span),
            Tok::Eof => Err(FilterError::new(open, M::UnclosedParen {}).hint(M::HintAddClose {})),
            _ => Err(FilterError::new(t.span, M::ExpectedClose { found: t.describe() })
                .hint(M::HintClosesAt { line: open.line as i64, column: open.column as i64 })),
        }
    }

    fn predicate(&mut self) -> R<Expr> {
        let left = self.term()?;
        let t = self.peek().clone();
        let op = match t.tok {
            Tok::Eq => Some(CmpOp::Eq),
            Tok::Ne => Some(CmpOp::Ne),
            Tok::Lt => Some(CmpOp::Lt),
            Tok::Le => Some(CmpOp::Le),
            Tok::Gt => Some(CmpOp::Gt),
            Tok::Ge => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let right = self.term()?;
            return Ok(Expr { span: left.span.to(right.span), kind: ExprKind::Compare { left, op, op_span: t.span, right } });
        }
        if matches!(t.tok, Tok::Tilde | Tok::NotTilde) {
            self.bump();
            let needle = self.term()?;
            let negated = t.tok == Tok::NotTilde;
            return Ok(Expr { span: left.span.to(needle.span), kind: ExprKind::Contains { left, negated, op_span: t.span, needle } });
        }
        if t.is_kw("in") || (t.is_kw("not") && self.peek_at(1).is_kw("in")) {
            let negated = t.is_kw("not");
            self.bump();
            if negated {
                self.bump();
            }
            let open = self.peek().clone();
            if open.tok != Tok::LParen {
                return Err(FilterError::new(open.span, M::ExpectedInParen { found: open.describe() }).hint(M::HintInList {}));
            }
            self.bump();
            let mut values = vec![self.term()?];
            while self.peek().tok == Tok::Comma {
                self.bump();
                values.push(self.term()?);
            }
            let end = self.close(open.span)?;
            return Ok(Expr { span: left.span.to(end), kind: ExprKind::In { left, negated, values } });
        }
        if t.is_kw("is") {
            self.bump();
            let negated = self.at_kw("not");
            if negated {
                self.bump();
            }
            let e = self.peek().clone();
            if !e.is_kw("empty") {
                return Err(FilterError::new(e.span, M::ExpectedEmpty { found: e.describe() }).hint(M::HintIsEmpty {}));
            }
            self.bump();
            return Ok(Expr { span: left.span.to(e.span), kind: ExprKind::IsEmpty { term: left, negated } });
        }
        Ok(Expr { span: left.span, kind: ExprKind::Truth(left) })
    }

    fn term(&mut self) -> R<Term> {
        let base = self.atom()?;
        let mut steps = Vec::new();
        let mut span = base.span;
        while matches!(self.peek().tok, Tok::Plus | Tok::Minus) {
            let sign = if self.bump().tok == Tok::Plus { Sign::Plus } else { Sign::Minus };
            let t = self.atom()?;
            span = span.to(t.span);
            steps.push((sign, t));
        }
        if steps.is_empty() {
            return Ok(base);
        }
        Ok(Term { span, kind: TermKind::Offset { base: Box::new(base), steps } })
    }

    fn atom(&mut self) -> R<Term> {
        let t = self.bump();
        let kind = match t.tok {
            Tok::Str(s) => TermKind::Str(s),
            Tok::Number(n) => TermKind::Number(n),
            Tok::Duration { ms, text } => TermKind::Duration { ms, text },
            Tok::Date(d) => {
                if crate::types::parse_date(&d).is_err() {
                    return Err(FilterError::new(t.span, M::NotADate { value: d }).hint(M::HintDateFormat {}));
                }
                TermKind::Date(d)
            }
            Tok::Minus => {
                let n = self.peek().clone();
                let Tok::Number(digits) = n.tok else {
                    return Err(FilterError::new(t.span, M::Unexpected { token: "-".into() }).hint(M::HintMinus {}));
                };
                self.bump();
                return Ok(Term { span: t.span.to(n.span), kind: TermKind::Number(format!("-{digits}")) });
            }
            Tok::Ident(ref word) if is_keyword(word) => match word.to_ascii_lowercase().as_str() {
                "true" => TermKind::Bool(true),
                "false" => TermKind::Bool(false),
                "now" => TermKind::Now,
                "today" => TermKind::Today,
                "me" => TermKind::Me,
                "count" => {
                    self.enter(t.span)?;
                    let (c, span) = self.collection()?;
                    self.leave();
                    return Ok(Term { span: t.span.to(span), kind: TermKind::Count(c) });
                }
                _ => {
                    return Err(FilterError::new(t.span, M::ExpectedValue { found: t.describe() }));
                }
            },
            Tok::Ident(name) => {
                let mut parts = vec![Ident { name, span: t.span }];
                while self.peek().tok == Tok::Dot {
                    self.bump();
                    let n = self.bump();
                    match n.tok {
                        Tok::Ident(name) => parts.push(Ident { name, span: n.span }),
                        _ => {
                            return Err(FilterError::new(n.span, M::ExpectedFieldAfterDot { found: n.describe() }));
                        }
                    }
                }
                let span = parts[0].span.to(parts[parts.len() - 1].span);
                return Ok(Term { span, kind: TermKind::Path(parts) });
            }
            Tok::Eof => {
                return Err(FilterError::new(t.span, M::EndsEarly {}).hint(M::HintFollow {}));
            }
            _ => return Err(FilterError::new(t.span, M::ExpectedValue { found: t.describe() })),
        };
        Ok(Term { span: t.span, kind })
    }

    /// `activity`, `activity()` or `activity(cond)`; returns the collection and its whole span.
    fn collection(&mut self) -> R<(Collection, Span)> {
        let t = self.bump();
        let name = match t.tok {
            Tok::Ident(ref s) if !is_keyword(s) => Ident { name: s.clone(), span: t.span },
            _ => {
                return Err(FilterError::new(t.span, M::ExpectedCollection { found: t.describe() }));
            }
        };
        if self.peek().tok != Tok::LParen {
            return Ok((Collection { name, filter: None }, t.span));
        }
        let open = self.bump();
        if self.peek().tok == Tok::RParen {
            let end = self.bump().span;
            return Ok((Collection { name, filter: None }, t.span.to(end)));
        }
        let inner = self.or_expr()?;
        let end = self.close(open.span)?;
        Ok((Collection { name, filter: Some(Box::new(inner)) }, t.span.to(end)))
    }
}

fn group(items: Vec<Expr>, make: fn(Vec<Expr>) -> ExprKind) -> Expr {
    let span = match (items.first(), items.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => Span::default(),
    };
    Expr { span, kind: make(items) }
}
