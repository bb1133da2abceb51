//! Compiles a checked filter into one sea-query condition for SQLite or PostgreSQL.
//! Identifiers come from the schema, never from the filter's text; every value is bound.
//! Follows the NULL contract written on [`Cond`]: no condition is ever NULL, comparisons with a
//! NULL operand are false, `not` is plain negation.
use crate::actor::scope_condition;
use poryadok_core::access::Caller;
use poryadok_core::domain::CustomFieldType;
use poryadok_core::filter::{CmpOp, Column, ColumnRef, Cond, Lit, Operand, Side, Sub, TouchPart, TouchRef, Ty};
use poryadok_core::schema::Entity;
use sea_orm::DbBackend;
use sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr, SubQueryStatement};

/// Name of the SQLite function that folds case like Rust's `to_lowercase` (Cyrillic included).
pub const SQLITE_LOWER: &str = "poryadok_lower";

pub struct Compiler {
    pub backend: DbBackend,
    pub workspace: i64,
    pub now_ms: i64,
    /// Whose filter it is: every related row a condition reads is limited to what they may see,
    /// so a filter cannot answer questions about records the caller would get a 404 for.
    caller: Caller,
    aliases: std::cell::Cell<usize>,
}

/// The row a condition is about: its entity and the name it is known by in the query.
#[derive(Clone)]
struct Scope {
    entity: Entity,
    alias: String,
}

fn qcol(alias: &str, column: &str) -> SimpleExpr {
    Expr::col((Alias::new(alias), Alias::new(column))).into()
}

fn lit(l: &Lit) -> SimpleExpr {
    match l {
        Lit::Int(i) => Expr::val(*i).into(),
        Lit::Number(f) => Expr::val(*f).into(),
        Lit::Text(s) => Expr::val(s.as_str()).into(),
        Lit::Bool(b) => Expr::val(*b).into(),
    }
}

fn sub(q: sea_query::SelectStatement) -> SimpleExpr {
    SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q)))
}

fn compare(l: SimpleExpr, op: CmpOp, r: SimpleExpr) -> SimpleExpr {
    match op {
        CmpOp::Eq => l.eq(r),
        CmpOp::Ne => l.ne(r),
        CmpOp::Lt => l.lt(r),
        CmpOp::Le => l.lte(r),
        CmpOp::Gt => l.gt(r),
        CmpOp::Ge => l.gte(r),
    }
}

fn text_like(ty: CustomFieldType) -> bool {
    matches!(ty, CustomFieldType::Text | CustomFieldType::Url | CustomFieldType::Date | CustomFieldType::Enum)
}

impl Compiler {
    pub fn new(backend: DbBackend, caller: &Caller, now_ms: i64) -> Self {
        Compiler { backend, workspace: caller.workspace_id, now_ms, caller: caller.clone(), aliases: std::cell::Cell::new(0) }
    }

    /// `FROM <entity's table> AS alias WHERE workspace AND live AND visible to the caller`: the
    /// start of every subquery over related rows. The visibility condition names its columns
    /// unqualified, and they resolve to `alias`, the innermost table of the subquery.
    fn related_from(&self, q: &mut sea_query::SelectStatement, entity: Entity, alias: &str) {
        q.from_as(Alias::new(entity.table()), Alias::new(alias))
            .and_where(Expr::col((Alias::new(alias), Alias::new("workspace_id"))).eq(self.workspace));
        if entity.soft_delete() {
            q.and_where(Expr::col((Alias::new(alias), Alias::new("deleted_at"))).is_null());
        }
        if let Some(visible) = scope_condition(entity, &self.caller) {
            q.and_where(visible);
        }
    }

    /// The condition over rows of `entity` selected `FROM <table>` without an alias.
    pub fn compile(&self, cond: &Cond, entity: Entity) -> SimpleExpr {
        self.cond(cond, &Scope { entity, alias: entity.table().to_string() })
    }

    fn fresh(&self, prefix: &str) -> String {
        let n = self.aliases.get() + 1;
        self.aliases.set(n);
        format!("{prefix}{n}")
    }

    /// A custom expression written with `$1`, `$2`… placeholders for `args`, for either backend.
    fn tmpl(&self, template: &str, args: &[SimpleExpr]) -> SimpleExpr {
        if self.backend == DbBackend::Postgres {
            return Expr::cust_with_exprs(template, args.to_vec());
        }
        // SQLite placeholders are positional `?`: repeat the argument at each use.
        let mut out = String::with_capacity(template.len());
        let mut used = Vec::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                let mut n = 0usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    chars.next();
                }
                if let Some(a) = n.checked_sub(1).and_then(|i| args.get(i)) {
                    used.push(a.clone());
                }
                out.push('?');
            } else {
                out.push(c);
            }
        }
        Expr::cust_with_exprs(out, used)
    }

    fn truth(b: bool) -> SimpleExpr {
        Expr::cust(if b { "1 = 1" } else { "1 = 0" })
    }

    /// A comparison of one related row's column with constants holds exactly when the scope
    /// row points at a live related row that meets it: `fk IN (SELECT id FROM related WHERE …)`.
    /// This lets the database evaluate the condition once per related row, not once per scope row.
    fn related_only(&self, c: &Cond, s: &Scope) -> Option<SimpleExpr> {
        let constant = |o: &Operand| matches!(o, Operand::Lit(_) | Operand::Now { .. } | Operand::Today { .. });
        let (side, inner) = match c {
            Cond::Compare { left: Operand::Column(l), right, op, ty } if l.side != Side::This && constant(right) => (
                l.side,
                Cond::Compare {
                    left: Operand::Column(ColumnRef { side: Side::This, ..l.clone() }),
                    op: *op,
                    right: right.clone(),
                    ty: *ty,
                },
            ),
            Cond::In { left: Operand::Column(l), values, negated } if l.side != Side::This => (
                l.side,
                Cond::In { left: Operand::Column(ColumnRef { side: Side::This, ..l.clone() }), values: values.clone(), negated: *negated },
            ),
            Cond::Contains { left: Operand::Column(l), needle, negated } if l.side != Side::This => (
                l.side,
                Cond::Contains {
                    left: Operand::Column(ColumnRef { side: Side::This, ..l.clone() }),
                    needle: needle.clone(),
                    negated: *negated,
                },
            ),
            _ => return None,
        };
        let (entity, fk) = (side.entity()?, side.fk()?);
        let alias = self.fresh("r");
        let inner_scope = Scope { entity, alias: alias.clone() };
        let mut q = Query::select();
        q.column((Alias::new(&alias), Alias::new("id")));
        self.related_from(&mut q, entity, &alias);
        q.and_where(self.cond(&inner, &inner_scope));
        // `fk IN (…)` is NULL when fk is NULL; the guard keeps the condition two-valued under `not`.
        Some(qcol(&s.alias, fk).is_not_null().and(qcol(&s.alias, fk).in_subquery(q)))
    }

    /// `SELECT … FROM <related> rN WHERE rN.id = scope.fk AND workspace AND live`, without a
    /// projection: the one row the scope row points at on `side`, if any.
    fn related_row(&self, side: Side, s: &Scope) -> Option<(sea_query::SelectStatement, Scope)> {
        let (entity, fk) = (side.entity()?, side.fk()?);
        let alias = self.fresh("r");
        let mut q = Query::select();
        self.related_from(&mut q, entity, &alias);
        q.and_where(Expr::col((Alias::new(&alias), Alias::new("id"))).equals((Alias::new(&s.alias), Alias::new(fk))));
        Some((q, Scope { entity, alias }))
    }

    /// Conditions on one related row that also read the scope row, as one `EXISTS` over that
    /// row: `owner != org.owner` reads the organization once, where a value subquery would read
    /// it for the NULL guard and again for the comparison.
    /// * A comparison of a column of the scope row with one of a related row holds exactly when
    ///   a live related row exists and both values are present and compare.
    /// * A related column is empty exactly when no live related row has it non-empty.
    fn related_row_cond(&self, c: &Cond, s: &Scope) -> Option<SimpleExpr> {
        match c {
            Cond::Compare { left: Operand::Column(a), op, right: Operand::Column(b), .. }
                if (a.side == Side::This) != (b.side == Side::This) =>
            {
                let side = if a.side == Side::This { b.side } else { a.side };
                let (mut q, inner) = self.related_row(side, s)?;
                let read = |c: &ColumnRef| self.column(&c.column, if c.side == Side::This { &s.alias } else { &inner.alias });
                let (l, r) = (read(a), read(b));
                q.expr(Expr::val(1)).and_where(l.clone().is_not_null()).and_where(r.clone().is_not_null()).and_where(compare(l, *op, r));
                Some(Expr::exists(q))
            }
            Cond::IsEmpty(Operand::Column(x)) if x.side != Side::This => {
                let (mut q, inner) = self.related_row(x.side, s)?;
                let here = Cond::IsEmpty(Operand::Column(ColumnRef { side: Side::This, ..x.clone() }));
                q.expr(Expr::val(1)).and_where(self.cond(&here, &inner).not());
                Some(Expr::exists(q).not())
            }
            _ => None,
        }
    }

    fn cond(&self, c: &Cond, s: &Scope) -> SimpleExpr {
        if let Some(semi) = self.related_only(c, s) {
            return semi;
        }
        if let Some(e) = self.related_row_cond(c, s) {
            return e;
        }
        match c {
            Cond::Const(b) => Self::truth(*b),
            Cond::And(items) => items.iter().map(|i| self.cond(i, s)).reduce(SimpleExpr::and).unwrap_or_else(|| Self::truth(true)),
            Cond::Or(items) => items.iter().map(|i| self.cond(i, s)).reduce(SimpleExpr::or).unwrap_or_else(|| Self::truth(false)),
            Cond::Not(inner) => self.cond(inner, s).not(),
            Cond::Compare { left, op, right, ty } => {
                let l = self.operand(left, *ty, s);
                let r = self.operand(right, *ty, s);
                let mut guard = l.clone().is_not_null();
                if matches!(right, Operand::Column(_) | Operand::LastActivityAt(_) | Operand::Touch(_)) {
                    guard = guard.and(r.clone().is_not_null());
                }
                guard.and(compare(l, *op, r))
            }
            Cond::In { left, values, negated } => {
                let l = self.operand(left, Ty::Text, s);
                let vals: Vec<SimpleExpr> = values.iter().map(lit).collect();
                let test = if *negated { l.clone().is_not_in(vals) } else { l.clone().is_in(vals) };
                l.is_not_null().and(test)
            }
            Cond::IsEmpty(Operand::Column(ColumnRef { side: Side::This, column: Column::Custom { key, ty }, .. })) => {
                self.custom_empty(qcol(&s.alias, "custom"), key, *ty)
            }
            Cond::IsEmpty(x) => {
                let v = self.operand(x, Ty::Text, s);
                let stringy = match x {
                    Operand::Column(ColumnRef { column: Column::Custom { ty, .. }, .. }) => text_like(*ty),
                    Operand::Column(ColumnRef { ty, .. }) => matches!(ty, Ty::Text | Ty::Enum | Ty::Date),
                    _ => false,
                };
                if stringy {
                    v.clone().is_null().or(v.eq(""))
                } else {
                    v.is_null()
                }
            }
            Cond::Contains { left, needle, negated } => {
                let l = self.operand(left, Ty::Text, s);
                let found = match self.backend {
                    DbBackend::Postgres => self.tmpl("strpos(lower($1), $2) > 0", &[l.clone(), Expr::val(needle.as_str()).into()]),
                    _ => self.tmpl(&format!("instr({SQLITE_LOWER}($1), $2) > 0"), &[l.clone(), Expr::val(needle.as_str()).into()]),
                };
                l.is_not_null().and(if *negated { found.not() } else { found })
            }
            Cond::Exists { collection, cond } => {
                let (q, inner) = self.collection(*collection, s);
                let mut q = q;
                q.expr(Expr::val(1)).and_where(self.cond(cond, &inner));
                Expr::exists(q)
            }
            Cond::Count { collection, cond, op, n } => {
                let (mut q, inner) = self.collection(*collection, s);
                q.expr(Expr::cust("COUNT(*)")).and_where(self.cond(cond, &inner));
                compare(sub(q), *op, Expr::val(*n).into())
            }
        }
    }

    /// `SELECT … FROM <collection> cN WHERE workspace AND live AND cN.fk = scope.id`, without a projection.
    fn collection(&self, c: Sub, s: &Scope) -> (sea_query::SelectStatement, Scope) {
        let alias = self.fresh("c");
        let mut q = Query::select();
        self.related_from(&mut q, c.entity, &alias);
        q.and_where(Expr::col((Alias::new(&alias), Alias::new(c.fk))).equals((Alias::new(&s.alias), Alias::new("id"))));
        (q, Scope { entity: c.entity, alias })
    }

    fn operand(&self, o: &Operand, ty: Ty, s: &Scope) -> SimpleExpr {
        match o {
            Operand::Lit(l) => lit(l),
            Operand::Now { .. } | Operand::Today { .. } => match o.constant(ty, self.now_ms) {
                Some(l) => lit(&l),
                None => Expr::val(Option::<i64>::None).into(),
            },
            Operand::Column(c) => match c.side {
                Side::This => self.column(&c.column, &s.alias),
                side => self.related(side, s, |alias| self.column(&c.column, alias)),
            },
            Operand::LastActivityAt(side) => {
                let fk = match side.entity().unwrap_or(s.entity) {
                    Entity::Deal => "deal_id",
                    Entity::Person => "person_id",
                    _ => "organization_id",
                };
                let last = |alias: &str| {
                    let a = self.fresh("a");
                    let mut q = Query::select();
                    q.expr(Expr::cust(format!(
                        "MAX(CASE WHEN {a}.done AND {a}.done_at IS NOT NULL THEN {a}.done_at ELSE {a}.created_at END)"
                    )));
                    self.related_from(&mut q, Entity::Activity, &a);
                    q.and_where(Expr::col((Alias::new(&a), Alias::new(fk))).equals((Alias::new(alias), Alias::new("id"))));
                    sub(q)
                };
                match side {
                    Side::This => last(&s.alias),
                    side => self.related(*side, s, last),
                }
            }
            Operand::Touch(t) => self.touch(t, &s.alias),
        }
    }

    /// A mark of the touch the deal `alias` is credited to (the contract on [`Cond`]): its raw text
    /// picked by the model, falling back to the deal's own mark when it has no touches, then
    /// folded like [`poryadok_core::spend::alias_key`] (trimmed, lower-case, `ё` as `е`, runs of up
    /// to eight spaces as one) and, for the channel, mapped through the aliases.
    fn touch(&self, t: &TouchRef, alias: &str) -> SimpleExpr {
        let column = t.part.column();
        let (a, b) = (self.fresh("t"), self.fresh("t"));
        let raw = format!(
            "CASE WHEN EXISTS (SELECT 1 FROM touches {a} WHERE {a}.workspace_id = {alias}.workspace_id AND {a}.deal_id = {alias}.id) \
             THEN (SELECT {b}.{column} FROM touches {b} WHERE {b}.workspace_id = {alias}.workspace_id AND {b}.deal_id = {alias}.id \
             ORDER BY {} LIMIT 1) ELSE {alias}.{column} END",
            crate::report::marketing::touch_order(t.model, &b)
        );
        let lower = if self.backend == DbBackend::Postgres { "lower" } else { SQLITE_LOWER };
        let key = format!("REPLACE(REPLACE(REPLACE(REPLACE({lower}(TRIM({raw})), 'ё', 'е'), '  ', ' '), '  ', ' '), '  ', ' ')");
        if t.part != TouchPart::Channel {
            return Expr::cust(format!("NULLIF({key}, '')"));
        }
        let mut template = format!("CASE {key}");
        let mut args: Vec<SimpleExpr> = Vec::new();
        for d in poryadok_core::attribution::DIRECT_SOURCES {
            args.push(Expr::val(d).into());
            template.push_str(&format!(" WHEN ${} THEN NULL", args.len()));
        }
        for (from, to) in t.channels.pairs() {
            if from != to {
                args.push(Expr::val(from).into());
                args.push(Expr::val(to).into());
                template.push_str(&format!(" WHEN ${} THEN ${}", args.len() - 1, args.len()));
            }
        }
        template.push_str(&format!(" ELSE NULLIF({key}, '') END"));
        self.tmpl(&template, &args)
    }

    /// A value read from the live row the scope row points at on `side`; NULL when there is none.
    fn related(&self, side: Side, s: &Scope, value: impl Fn(&str) -> SimpleExpr) -> SimpleExpr {
        let (Some(entity), Some(fk)) = (side.entity(), side.fk()) else { return value(&s.alias) };
        let alias = self.fresh("r");
        let mut q = Query::select();
        q.expr(value(&alias));
        self.related_from(&mut q, entity, &alias);
        q.and_where(Expr::col((Alias::new(&alias), Alias::new("id"))).equals((Alias::new(&s.alias), Alias::new(fk))));
        sub(q)
    }

    fn column(&self, c: &Column, alias: &str) -> SimpleExpr {
        match c {
            Column::Builtin(name) => qcol(alias, name),
            Column::Custom { key, ty } => self.custom(qcol(alias, "custom"), key, *ty),
        }
    }

    /// Whether a custom field is empty, i.e. [`Self::custom`] is NULL or `''`, reading the JSON
    /// once or twice instead of up to four times (the type test and the value of each half).
    fn custom_empty(&self, json: SimpleExpr, key: &str, ty: CustomFieldType) -> SimpleExpr {
        use CustomFieldType as T;
        if self.backend == DbBackend::Postgres {
            let k: SimpleExpr = Expr::val(key).into();
            let t = match ty {
                t if text_like(t) => "CASE WHEN jsonb_typeof(($1)::jsonb -> $2) = 'string' THEN (($1)::jsonb ->> $2) = '' ELSE TRUE END",
                T::Number => "jsonb_typeof(($1)::jsonb -> $2) IS DISTINCT FROM 'number'",
                T::Bool => "jsonb_typeof(($1)::jsonb -> $2) IS DISTINCT FROM 'boolean'",
                _ => "NOT COALESCE(jsonb_typeof(($1)::jsonb -> $2) = 'number' AND (($1)::jsonb ->> $2) ~ '^-?[0-9]+$', FALSE)",
            };
            return self.tmpl(t, &[json, k]);
        }
        let path: SimpleExpr = Expr::val(format!("$.\"{key}\"")).into();
        let t = match ty {
            t if text_like(t) => "CASE json_type($1, $2) WHEN 'text' THEN json_extract($1, $2) = '' ELSE 1 END",
            T::Number => "CASE WHEN json_type($1, $2) IN ('integer', 'real') THEN 0 ELSE 1 END",
            T::Bool => "CASE WHEN json_type($1, $2) IN ('true', 'false') THEN 0 ELSE 1 END",
            _ => "CASE WHEN json_type($1, $2) = 'integer' THEN 0 ELSE 1 END",
        };
        self.tmpl(t, &[json, path])
    }

    /// A custom field's value, NULL unless the JSON holds the type the field stores.
    fn custom(&self, json: SimpleExpr, key: &str, ty: CustomFieldType) -> SimpleExpr {
        use CustomFieldType as T;
        if self.backend == DbBackend::Postgres {
            let k: SimpleExpr = Expr::val(key).into();
            let t = match ty {
                t if text_like(t) => "CASE WHEN jsonb_typeof(($1)::jsonb -> $2) = 'string' THEN ($1)::jsonb ->> $2 END",
                T::Number => "CASE WHEN jsonb_typeof(($1)::jsonb -> $2) = 'number' THEN (($1)::jsonb ->> $2)::double precision END",
                T::Bool => "CASE WHEN jsonb_typeof(($1)::jsonb -> $2) = 'boolean' THEN (($1)::jsonb ->> $2)::boolean END",
                _ => "CASE WHEN jsonb_typeof(($1)::jsonb -> $2) = 'number' AND (($1)::jsonb ->> $2) ~ '^-?[0-9]+$' THEN (($1)::jsonb ->> $2)::bigint END",
            };
            return self.tmpl(t, &[json, k]);
        }
        let path: SimpleExpr = Expr::val(format!("$.\"{key}\"")).into();
        let types = match ty {
            t if text_like(t) => "'text'",
            T::Number => "'integer', 'real'",
            T::Bool => "'true', 'false'",
            _ => "'integer'",
        };
        self.tmpl(&format!("CASE WHEN json_type($1, $2) IN ({types}) THEN json_extract($1, $2) END"), &[json, path])
    }
}
