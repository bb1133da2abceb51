//! The syntax tree [`parse`](super::parse) produces: what was written, where, nothing resolved.
//! `Display` prints a tree back as filter text that parses to the same tree.
use std::cmp::Ordering;
use std::fmt;

/// A place in the source. All four numbers count characters; `line` and `column` are 1-based,
/// `offset` is 0-based from the start of the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
    pub line: usize,
    pub column: usize,
}

impl Span {
    /// From the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        let end = (other.offset + other.len).max(self.offset + self.len);
        Span { len: end.saturating_sub(self.offset), ..self }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// `left op right`; `op_span` is where the operator is.
    Compare {
        left: Term,
        op: CmpOp,
        op_span: Span,
        right: Term,
    },
    /// `left ~ needle` (or `!~` when `negated`).
    Contains {
        left: Term,
        negated: bool,
        op_span: Span,
        needle: Term,
    },
    /// `left in (values)` (or `not in`).
    In {
        left: Term,
        negated: bool,
        values: Vec<Term>,
    },
    /// `term is empty` (or `is not empty`).
    IsEmpty {
        term: Term,
        negated: bool,
    },
    /// `exists activity(...)`.
    Exists(Collection),
    /// A term standing alone as a condition: a true/false field such as `done`.
    Truth(Term),
}

/// `activity(done = false)`: a collection name and an optional condition over its entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub name: Ident,
    pub filter: Option<Box<Expr>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub kind: TermKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TermKind {
    /// `status`, `org.name`: one or more dotted names.
    Path(Vec<Ident>),
    Str(String),
    /// A number as written: digits, an optional leading `-` and an optional fraction.
    Number(String),
    Bool(bool),
    /// `YYYY-MM-DD`, already checked to be a real date.
    Date(String),
    /// `7d` as written, and its length in milliseconds.
    Duration {
        ms: i64,
        text: String,
    },
    Now,
    Today,
    Me,
    /// `count activity(...)`.
    Count(Collection),
    /// `now - 7d + 1h`: a base and durations added to or taken from it.
    Offset {
        base: Box<Term>,
        steps: Vec<(Sign, Term)>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    Plus,
    Minus,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The operator with its sides swapped: `a < b` is `b > a`.
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            same => same,
        }
    }

    /// Whether `a op b` holds when `a.cmp(b)` is `ord`.
    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Ne => ord != Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
        }
    }

    /// `=` and `!=`, the only operators for values without an order.
    pub fn is_equality(self) -> bool {
        matches!(self, CmpOp::Eq | CmpOp::Ne)
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Binding strength, to print parentheses only where they are needed.
fn strength(e: &Expr) -> u8 {
    match e.kind {
        ExprKind::Or(_) => 0,
        ExprKind::And(_) => 1,
        ExprKind::Not(_) => 2,
        _ => 3,
    }
}

fn child(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if strength(e) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn joined(f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str, min: u8) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        child(f, e, min)?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            // A nested Or or And is kept apart by parentheses, as the parser would nest it.
            ExprKind::Or(items) => joined(f, items, " or ", 1),
            ExprKind::And(items) => joined(f, items, " and ", 2),
            ExprKind::Not(inner) => {
                f.write_str("not ")?;
                child(f, inner, 2)
            }
            ExprKind::Compare { left, op, right, .. } => write!(f, "{left} {op} {right}"),
            ExprKind::Contains { left, negated, needle, .. } => write!(f, "{left} {} {needle}", if *negated { "!~" } else { "~" }),
            ExprKind::In { left, negated, values } => {
                write!(f, "{left} {}in (", if *negated { "not " } else { "" })?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
            ExprKind::IsEmpty { term, negated } => write!(f, "{term} is {}empty", if *negated { "not " } else { "" }),
            ExprKind::Exists(c) => write!(f, "exists {c}"),
            ExprKind::Truth(t) => write!(f, "{t}"),
        }
    }
}

impl fmt::Display for Collection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name.name)?;
        match &self.filter {
            Some(e) => write!(f, "({e})"),
            None => Ok(()),
        }
    }
}

/// Writes `s` as a filter string literal.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TermKind::Path(parts) => {
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(&p.name)?;
                }
                Ok(())
            }
            TermKind::Str(s) => f.write_str(&quote(s)),
            TermKind::Number(n) => f.write_str(n),
            TermKind::Bool(b) => write!(f, "{b}"),
            TermKind::Date(d) => f.write_str(d),
            TermKind::Duration { text, .. } => f.write_str(text),
            TermKind::Now => f.write_str("now"),
            TermKind::Today => f.write_str("today"),
            TermKind::Me => f.write_str("me"),
            TermKind::Count(c) => write!(f, "count {c}"),
            TermKind::Offset { base, steps } => {
                write!(f, "{base}")?;
                for (sign, t) in steps {
                    write!(f, " {} {t}", if *sign == Sign::Plus { "+" } else { "-" })?;
                }
                Ok(())
            }
        }
    }
}
