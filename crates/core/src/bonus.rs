//! The bonus split by role: per pipeline, which share of a won deal's revenue (or margin) goes to
//! each role — the manager who sold the meeting, the consultants who sold the product, and the
//! head of the owner's team — and who played which role on a deal.
//!
//! Pure: the store reads the split, the deals, their participants and the teams' heads, and asks
//! [`allocate`] who earns what. Shares are kept in basis points (1 % = 100) so `12.5 %` is exact;
//! amounts are minor units, rounded down per role, and a role several people played is shared
//! equally, the odd minor units going to the lowest user id so the parts add up to the role's.
use crate::error::FieldError;
use crate::msg::{Common, ReviewMsg as R};
use serde_json::Value;

/// What a share is a share of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The won deal's value.
    #[default]
    Revenue,
    /// The won deal's value less its cost (the deal's money field `cost`).
    Margin,
}

impl Basis {
    pub const ALL: [Basis; 2] = [Basis::Revenue, Basis::Margin];

    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Revenue => "revenue",
            Basis::Margin => "margin",
        }
    }

    pub fn parse(s: &str) -> Option<Basis> {
        Basis::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// A role on a deal that earns a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Manager,
    Consultant,
    Head,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Manager, Role::Consultant, Role::Head];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Consultant => "consultant",
            Role::Head => "head",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A pipeline's split: the basis and each role's share in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Split {
    pub basis: Basis,
    pub manager_bp: i64,
    pub consultant_bp: i64,
    pub head_bp: i64,
}

/// The largest share: 100 %.
pub const FULL_BP: i64 = 10_000;

/// Basis points as a percent for people and the API: `1250` → `"12.5"`, `500` → `"5"`.
pub fn percent_text(bp: i64) -> String {
    let (whole, frac) = (bp / 100, bp % 100);
    match frac {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

/// A percent typed as a number or text (`12.5`, `"12,5"`) with at most two decimals, as basis
/// points; `None` when it is not one or is outside 0–100.
pub fn parse_percent(v: &Value) -> Option<i64> {
    let s = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().replace(',', "."),
        _ => return None,
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) || frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok().filter(|w| *w <= 100)?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    Some(whole * 100 + frac).filter(|bp| *bp <= FULL_BP)
}

impl Split {
    pub fn share(&self, role: Role) -> i64 {
        match role {
            Role::Manager => self.manager_bp,
            Role::Consultant => self.consultant_bp,
            Role::Head => self.head_bp,
        }
    }

    pub fn total_bp(&self) -> i64 {
        self.manager_bp + self.consultant_bp + self.head_bp
    }

    /// Reads `{basis: revenue|margin, shares: {manager: 10, consultant: 5, head: 1}}` (percents;
    /// a role left out has no share). Shares adding up to more than 100 % are refused on
    /// `shares` with the total.
    pub fn parse(body: &Value) -> Result<Split, FieldError> {
        let obj = body.as_object().ok_or_else(|| FieldError::new("body", Common::BodyNotObject {}))?;
        if let Some(k) = obj.keys().find(|k| !["basis", "shares"].contains(&k.as_str())) {
            return Err(FieldError::new(k.as_str(), Common::UnknownField { expected: crate::msg::words(["basis", "shares"]) }));
        }
        let basis = match obj.get("basis") {
            None | Some(Value::Null) => Basis::Revenue,
            Some(v) => v.as_str().and_then(Basis::parse).ok_or_else(|| FieldError::new("basis", R::SplitBasis {}))?,
        };
        let mut split = Split { basis, ..Split::default() };
        match obj.get("shares") {
            None | Some(Value::Null) => {}
            Some(Value::Object(shares)) => {
                for (k, v) in shares {
                    let role = Role::parse(k).ok_or_else(|| FieldError::new(format!("shares.{k}"), R::SplitRole {}))?;
                    let bp = match v {
                        Value::Null => 0,
                        v => parse_percent(v).ok_or_else(|| FieldError::new(format!("shares.{k}"), R::SplitShare {}))?,
                    };
                    match role {
                        Role::Manager => split.manager_bp = bp,
                        Role::Consultant => split.consultant_bp = bp,
                        Role::Head => split.head_bp = bp,
                    }
                }
            }
            Some(_) => return Err(FieldError::new("shares", R::SplitRole {})),
        }
        if split.total_bp() > FULL_BP {
            return Err(FieldError::new("shares", R::SplitOver { total: percent_text(split.total_bp()) }));
        }
        Ok(split)
    }
}

/// A won deal as the split reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WonDeal {
    /// Minor units.
    pub value: i64,
    /// The deal's cost, where it has one (minor units).
    pub cost: Option<i64>,
    pub owner_id: Option<i64>,
    /// `(user_id, role)` of the deal's participants; roles other than `manager` and
    /// `consultant` earn nothing.
    pub participants: Vec<(i64, String)>,
    /// The head of the owner's team, if the owner is in a team that has one.
    pub head_id: Option<i64>,
}

/// Who played `role` on a deal, by user id, each once: the manager is the deal's owner unless
/// participants have the role `manager`; consultants are the participants with the role
/// `consultant`; the head is the owner's team's head.
pub fn players(deal: &WonDeal, role: Role) -> Vec<i64> {
    let with = |name: &str| {
        let mut v: Vec<i64> = deal.participants.iter().filter(|(_, r)| r == name).map(|(u, _)| *u).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    match role {
        Role::Manager => {
            let named = with("manager");
            if named.is_empty() {
                deal.owner_id.into_iter().collect()
            } else {
                named
            }
        }
        Role::Consultant => with("consultant"),
        Role::Head => deal.head_id.into_iter().collect(),
    }
}

/// The amount a split's basis gives for a deal: its value, or its margin — none when the basis
/// is margin and the deal has no cost (such a deal earns nothing until its cost is entered; the
/// report flags it).
pub fn basis_amount(basis: Basis, deal: &WonDeal) -> Option<i64> {
    match basis {
        Basis::Revenue => Some(deal.value),
        Basis::Margin => deal.cost.map(|c| deal.value.saturating_sub(c)),
    }
}

/// One person's part of one deal in one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub user_id: i64,
    pub role: Role,
    /// Minor units.
    pub amount: i64,
    /// How many people shared the role.
    pub shared_by: usize,
}

/// Each role's share of the deal's basis, split equally among those who played it; a person in
/// two roles gets a part for each. A role nobody played (no consultant, an owner without a
/// team's head) pays nobody. A negative margin pays nothing.
pub fn allocate(split: &Split, deal: &WonDeal) -> Vec<Part> {
    let Some(base) = basis_amount(split.basis, deal) else { return Vec::new() };
    let base = base.max(0);
    let mut out = Vec::new();
    for role in Role::ALL {
        let bp = split.share(role);
        let people = players(deal, role);
        if bp == 0 || people.is_empty() {
            continue;
        }
        let role_amount = (i128::from(base) * i128::from(bp) / i128::from(FULL_BP)) as i64;
        let n = people.len() as i64;
        let (each, odd) = (role_amount / n, role_amount % n);
        for (i, user_id) in people.iter().enumerate() {
            let amount = each + i64::from((i as i64) < odd);
            out.push(Part { user_id: *user_id, role, amount, shared_by: people.len() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Roubles in kopecks.
    fn rub(n: i64) -> i64 {
        n * 100
    }

    fn deal(value: i64, owner: i64, participants: &[(i64, &str)], head: Option<i64>) -> WonDeal {
        WonDeal {
            value,
            cost: None,
            owner_id: Some(owner),
            participants: participants.iter().map(|(u, r)| (*u, r.to_string())).collect(),
            head_id: head,
        }
    }

    fn split(m: i64, c: i64, h: i64) -> Split {
        Split { basis: Basis::Revenue, manager_bp: m, consultant_bp: c, head_bp: h }
    }

    #[test]
    fn the_owner_sells_the_meeting_and_the_consultant_the_product() {
        let parts = allocate(&split(500, 1000, 100), &deal(rub(100_000), 1, &[(2, "consultant")], Some(9)));
        assert_eq!(
            parts,
            vec![
                Part { user_id: 1, role: Role::Manager, amount: rub(5_000), shared_by: 1 },
                Part { user_id: 2, role: Role::Consultant, amount: rub(10_000), shared_by: 1 },
                Part { user_id: 9, role: Role::Head, amount: rub(1_000), shared_by: 1 },
            ]
        );
    }

    #[test]
    fn a_consultant_who_also_sold_the_meeting_earns_both_shares() {
        let parts = allocate(&split(500, 1000, 0), &deal(rub(200_000), 2, &[(2, "consultant")], None));
        let mine: i64 = parts.iter().filter(|p| p.user_id == 2).map(|p| p.amount).sum();
        assert_eq!(mine, rub(30_000));
        assert_eq!(parts.len(), 2);
    }

    #[test]
    fn a_named_manager_replaces_the_owner_and_a_role_is_shared_equally() {
        let d = deal(1_001, 1, &[(3, "manager"), (5, "consultant"), (4, "consultant"), (6, "observer")], None);
        let parts = allocate(&split(1000, 10_000 - 1000, 0), &d);
        assert_eq!(parts[0], Part { user_id: 3, role: Role::Manager, amount: 100, shared_by: 1 });
        // 900.9 → 900 minor units, 450 each, lowest id first.
        assert_eq!(parts[1], Part { user_id: 4, role: Role::Consultant, amount: 450, shared_by: 2 });
        assert_eq!(parts[2], Part { user_id: 5, role: Role::Consultant, amount: 450, shared_by: 2 });
        let odd = allocate(&split(0, 1000, 0), &deal(30, 1, &[(7, "consultant"), (5, "consultant")], None));
        assert_eq!(odd.iter().map(|p| (p.user_id, p.amount)).collect::<Vec<_>>(), vec![(5, 2), (7, 1)]);
    }

    #[test]
    fn margin_is_value_less_cost_and_a_deal_without_a_cost_earns_nothing() {
        let mut d = deal(100_000, 1, &[], None);
        let s = Split { basis: Basis::Margin, manager_bp: 1000, ..Split::default() };
        assert!(allocate(&s, &d).is_empty());
        d.cost = Some(60_000);
        assert_eq!(allocate(&s, &d)[0].amount, 4_000);
        d.cost = Some(120_000);
        assert_eq!(allocate(&s, &d)[0].amount, 0);
    }

    #[test]
    fn a_split_over_100_percent_is_refused_with_the_total() {
        let e = Split::parse(&json!({"basis": "revenue", "shares": {"manager": 60, "consultant": "40,5"}})).unwrap_err();
        assert_eq!(e.field, "shares");
        assert_eq!(*e.msg, crate::msg::Msg::from(R::SplitOver { total: "100.5".into() }));
        let ok = Split::parse(&json!({"basis": "margin", "shares": {"manager": 12.5, "consultant": "40", "head": 0}})).unwrap();
        assert_eq!((ok.basis, ok.manager_bp, ok.consultant_bp, ok.total_bp()), (Basis::Margin, 1250, 4000, 5250));
        assert_eq!(Split::parse(&json!({"shares": {"driver": 1}})).unwrap_err().field, "shares.driver");
        assert_eq!(Split::parse(&json!({"shares": {"head": 101}})).unwrap_err().field, "shares.head");
        assert_eq!(Split::parse(&json!({"shares": {"head": "1.234"}})).unwrap_err().field, "shares.head");
        assert_eq!(Split::parse(&json!({"basis": "profit"})).unwrap_err().field, "basis");
        assert_eq!(percent_text(1250), "12.5");
        assert_eq!(percent_text(1205), "12.05");
    }
}
