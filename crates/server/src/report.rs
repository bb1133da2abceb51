//! Sales reports as both the API and the web UI serve them: their parameters (the period, the
//! comparison, the pipeline, team, manager and filter), the figures as JSON, and the same
//! figures as a table for CSV and XLSX in the reader's language.
use crate::ui::i18n::T;
use poryadok_core::msg::{Common, ReportMsg};
use poryadok_core::report::{ratio, step_conversions, weakest_step, Period};
use poryadok_core::schema::Entity;
use poryadok_store::report::funnel::{FunnelCounts, FunnelReport, ManagerFunnel};
use poryadok_store::report::lost_reasons::{Lost, LostReasonsReport};
use poryadok_store::report::sales::{SalesCounts, SalesGroup, SalesKey, SalesReport, SalesRow, Step};
use poryadok_store::report::{ReportScope, StageInfo};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The reports there are, by their name in URLs.
pub const REPORTS: &[&str] = &["funnel", "managers", "sales", "lost_reasons"];

/// A manager's step is judged only with this many deals at it.
pub const MIN_SAMPLE: i64 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

/// A report's parameters, checked.
#[derive(Clone, Debug)]
pub struct Params {
    pub name: &'static str,
    pub scope: ReportScope,
    pub period: Period,
    pub compare: Option<Period>,
    pub format: Format,
    /// The filter as typed (for links and the form).
    pub filter: String,
    /// Empty when the report covers every pipeline.
    pub pipeline_name: String,
    /// `sales` without `pipeline_id`: every pipeline of the workspace.
    pub all_pipelines: bool,
    /// The chosen team's name (for the filter expressions of drill-down links).
    pub team_name: String,
    /// What `sales` groups by, and its buckets' length when by period.
    pub group: SalesGroup,
    pub step: Step,
}

/// The query parameters every report takes.
pub const PARAMS: &[&str] = &["from", "to", "pipeline_id", "team_id", "owner_id", "filter", "compare", "format", "group", "step"];

fn invalid(field: &str, msg: impl Into<poryadok_core::Msg>) -> StoreError {
    StoreError::invalid(field, msg)
}

/// Reads and checks a report's parameters; an absent period is the current month, an absent
/// pipeline the one with the most deals.
pub async fn params(db: &Db, actor: &Actor, name: &str, pairs: &[(String, String)]) -> Result<Params, StoreError> {
    let name = REPORTS
        .iter()
        .copied()
        .find(|r| *r == name)
        .ok_or_else(|| invalid("report", ReportMsg::UnknownReport { known: REPORTS.iter().map(|s| s.to_string()).collect() }))?;
    let get = |k: &str| pairs.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    if let Some((k, _)) = pairs.iter().find(|(k, _)| !PARAMS.contains(&k.as_str())) {
        return Err(invalid(k, poryadok_core::msg::Common::OneOf { list: PARAMS.iter().map(|s| s.to_string()).collect() }));
    }
    let id = |k: &str| -> Result<Option<i64>, StoreError> {
        match get(k) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().ok().filter(|i| *i > 0).map(Some).ok_or_else(|| invalid(k, Common::PositiveInteger {})),
        }
    };
    let tz = actor.ws.timezone.clone();
    let period = match (get("from"), get("to")) {
        (None, None) => Period::month_of(db.clock.now_ms(), &tz),
        (Some(f), Some(t)) => Period::parse(&f, &t, &tz).map_err(StoreError::Validation)?,
        (None, Some(_)) => return Err(invalid("from", Common::Required {})),
        (Some(_), None) => return Err(invalid("to", Common::Required {})),
    };
    let compare = match get("compare").as_deref() {
        None | Some("none") => None,
        Some("previous") => Some(period.previous(&tz)),
        Some(_) => return Err(invalid("compare", ReportMsg::CompareWord {})),
    };
    let format = match get("format").as_deref() {
        None | Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        Some(_) => return Err(invalid("format", ReportMsg::FormatWord {})),
    };
    let group = match get("group") {
        None => SalesGroup::Period,
        Some(g) => SalesGroup::parse(&g)
            .ok_or_else(|| invalid("group", Common::OneOf { list: SalesGroup::ALL.iter().map(|g| g.as_str().to_string()).collect() }))?,
    };
    let step = match get("step") {
        None => Step::for_period(period.from, period.to),
        Some(s) => Step::parse(&s)
            .ok_or_else(|| invalid("step", Common::OneOf { list: Step::ALL.iter().map(|s| s.as_str().to_string()).collect() }))?,
    };
    let given = id("pipeline_id")?;
    // Revenue is not a pipeline's: sales cover them all unless one is chosen.
    let all_pipelines = name == "sales" && given.is_none();
    let pipeline = match given {
        Some(p) => p,
        None => default_pipeline(db, actor).await?,
    };
    let filter = get("filter").unwrap_or_default();
    let checked = if filter.is_empty() { None } else { Some(db.check_filter(actor, Entity::Deal, &filter, "filter").await?) };
    let scope = ReportScope { from: period.from, to: period.to, pipeline, owner: id("owner_id")?, team: id("team_id")?, filter: checked };
    db.check_report_scope(actor, &scope).await?;
    let pipeline_name = if all_pipelines {
        String::new()
    } else {
        db.names(actor, Entity::Pipeline, [pipeline]).await?.remove(&pipeline).unwrap_or_default()
    };
    let team_name = match scope.team {
        Some(t) => db.names(actor, Entity::Team, [t]).await?.remove(&t).unwrap_or_default(),
        None => String::new(),
    };
    Ok(Params { name, scope, period, compare, format, filter, pipeline_name, all_pipelines, team_name, group, step })
}

/// The pipeline with the most deals; in a workspace without deals, its first pipeline.
async fn default_pipeline(db: &Db, actor: &Actor) -> Result<i64, StoreError> {
    match db.largest_pipeline(actor).await {
        Err(StoreError::NotFound) => {
            let q = poryadok_store::ListQuery { limit: Some("1".into()), sort: Some("position".into()), ..Default::default() };
            db.list(actor, Entity::Pipeline, &q)
                .await?
                .data
                .first()
                .map(|p| p.id())
                .ok_or_else(|| invalid("pipeline_id", Common::Required {}))
        }
        other => other,
    }
}

impl Params {
    /// The same report over the comparison period.
    pub fn previous_scope(&self) -> Option<ReportScope> {
        self.compare.as_ref().map(|p| ReportScope { from: p.from, to: p.to, ..self.scope.clone() })
    }

    /// The pipeline a report is narrowed to (none: every one).
    pub fn pipeline(&self) -> Option<i64> {
        (!self.all_pipelines).then_some(self.scope.pipeline)
    }
}

/// The funnel with what its page and files show around it.
pub struct FunnelData {
    pub params: Params,
    pub now: FunnelReport,
    pub previous: Option<FunnelReport>,
}

pub async fn funnel(db: &Db, actor: &Actor, params: Params) -> Result<FunnelData, StoreError> {
    let now = db.funnel_report(actor, &params.scope).await?;
    let previous = match params.previous_scope() {
        Some(s) => Some(db.funnel_report(actor, &s).await?),
        None => None,
    };
    Ok(FunnelData { params, now, previous })
}

/// Each manager's funnel beside the department's, with their weakest step.
pub struct ManagersData {
    pub params: Params,
    pub stages: Vec<StageInfo>,
    pub department: FunnelCounts,
    pub managers: Vec<(ManagerFunnel, String, Option<usize>)>,
}

pub async fn managers(db: &Db, actor: &Actor, params: Params, t: &T) -> Result<ManagersData, StoreError> {
    let (stages, department, rows) = db.manager_funnels(actor, &params.scope).await?;
    let names = db.names(actor, Entity::User, rows.iter().filter_map(|m| m.owner_id)).await?;
    let mut managers: Vec<_> = rows
        .into_iter()
        .map(|m| {
            let name = match m.owner_id {
                Some(o) => names.get(&o).cloned().unwrap_or_else(|| format!("#{o}")),
                None => t.t("reports.no_owner").to_string(),
            };
            let weak = weakest_step(&m.counts.reached, m.counts.won, &department.reached, department.won, MIN_SAMPLE);
            (m, name, weak)
        })
        .collect();
    managers.sort_by(|a, b| b.0.counts.deals.cmp(&a.0.counts.deals).then_with(|| a.1.cmp(&b.1)));
    Ok(ManagersData { params, stages, department, managers })
}

fn pct(r: Option<f64>) -> Value {
    r.map_or(Value::Null, |v| json!((v * 10_000.0).round() / 10_000.0))
}

fn counts_json(stages: &[StageInfo], c: &FunnelCounts) -> Value {
    let conv = step_conversions(&c.reached, c.won);
    json!({
        "deals": c.deals,
        "won": c.won,
        "won_value": c.won_value,
        "lost": c.lost,
        "win_rate": pct(ratio(c.won, c.won + c.lost)),
        "stages": stages.iter().enumerate().map(|(i, s)| json!({
            "stage_id": s.id,
            "name": s.name,
            "reached": c.reached[i],
            "to_next": pct(conv[i]),
            "to_won": pct(ratio(c.won, c.reached[i])),
        })).collect::<Vec<_>>(),
    })
}

fn period_json(p: &Period) -> Value {
    json!({"from": p.from_date, "to": p.to_date})
}

impl FunnelData {
    pub fn json(&self) -> Value {
        let stages = &self.now.stages;
        let mut v = json!({
            "report": "funnel",
            "pipeline_id": self.params.scope.pipeline,
            "period": period_json(&self.params.period),
            "cohort": counts_json(stages, &self.now.cohort),
            "movement": counts_json(stages, &self.now.movement),
        });
        if let (Some(prev), Some(p)) = (&self.previous, &self.params.compare) {
            v["previous"] = json!({
                "period": period_json(p),
                "cohort": counts_json(&prev.stages, &prev.cohort),
                "movement": counts_json(&prev.stages, &prev.movement),
            });
        }
        v
    }

    /// One row per stage and one for won: reached and conversions, cohort then movement.
    pub fn table(&self, t: &T) -> Table {
        let heads = [
            "reports.col.stage",
            "reports.col.cohort_reached",
            "reports.col.to_next",
            "reports.col.to_won",
            "reports.col.movement_reached",
            "reports.col.to_next",
            "reports.col.to_won",
        ];
        let mut table = Table::new(heads.iter().map(|k| t.t(k).to_string()).collect());
        let (c, m) = (&self.now.cohort, &self.now.movement);
        let (cc, mc) = (step_conversions(&c.reached, c.won), step_conversions(&m.reached, m.won));
        for (i, s) in self.now.stages.iter().enumerate() {
            table.rows.push(vec![
                Cell::Text(s.name.clone()),
                Cell::Int(c.reached[i]),
                Cell::Pct(cc[i]),
                Cell::Pct(ratio(c.won, c.reached[i])),
                Cell::Int(m.reached[i]),
                Cell::Pct(mc[i]),
                Cell::Pct(ratio(m.won, m.reached[i])),
            ]);
        }
        table.rows.push(vec![
            Cell::Text(t.t("reports.won").to_string()),
            Cell::Int(c.won),
            Cell::Empty,
            Cell::Empty,
            Cell::Int(m.won),
            Cell::Empty,
            Cell::Empty,
        ]);
        table
    }
}

impl ManagersData {
    pub fn json(&self) -> Value {
        json!({
            "report": "managers",
            "pipeline_id": self.params.scope.pipeline,
            "period": period_json(&self.params.period),
            "department": counts_json(&self.stages, &self.department),
            "managers": self.managers.iter().map(|(m, name, weak)| {
                let mut v = counts_json(&self.stages, &m.counts);
                v["owner_id"] = json!(m.owner_id);
                v["name"] = json!(name);
                v["weakest_step"] = json!(weak.map(|i| json!({"index": i, "from_stage_id": self.stages[i].id,
                    "to": self.stages.get(i + 1).map_or(json!("won"), |s| json!(s.id))})));
                v
            }).collect::<Vec<_>>(),
        })
    }

    /// One row per manager (and the department's first): deals reaching each stage, won, the
    /// win rate and the weakest step.
    pub fn table(&self, t: &T) -> Table {
        let mut heads = vec![t.t("reports.col.manager").to_string()];
        heads.extend(self.stages.iter().map(|s| s.name.clone()));
        heads.extend(["reports.won", "reports.col.won_value", "reports.col.win_rate", "reports.col.weakest"].map(|k| t.t(k).to_string()));
        let mut table = Table::new(heads);
        let row = |name: String, c: &FunnelCounts, weak: Option<usize>| {
            let mut r = vec![Cell::Text(name)];
            r.extend(c.reached.iter().map(|n| Cell::Int(*n)));
            r.push(Cell::Int(c.won));
            r.push(Cell::Money(c.won_value));
            r.push(Cell::Pct(ratio(c.won, c.won + c.lost)));
            r.push(weak.map_or(Cell::Empty, |i| Cell::Text(self.step_name(t, i))));
            r
        };
        table.rows.push(row(t.t("reports.department").to_string(), &self.department, None));
        for (m, name, weak) in &self.managers {
            table.rows.push(row(name.clone(), &m.counts, *weak));
        }
        table
    }

    /// "Stage → next stage" (or "→ won") of step `i`.
    pub fn step_name(&self, t: &T, i: usize) -> String {
        let to = self.stages.get(i + 1).map_or_else(|| t.t("reports.won").to_string(), |s| s.name.clone());
        format!("{} → {to}", self.stages[i].name)
    }
}

const DAY_MS: f64 = 86_400_000.0;

/// Days with two decimals.
fn days(ms: f64) -> f64 {
    (ms / DAY_MS * 100.0).round() / 100.0
}

/// The average won deal, minor units.
pub fn average(c: &SalesCounts) -> Option<i64> {
    (c.won > 0).then(|| (c.won_value as f64 / c.won as f64).round() as i64)
}

/// The mean created → won, milliseconds.
pub fn cycle_mean_ms(c: &SalesCounts) -> Option<f64> {
    (c.won > 0).then(|| c.cycle_total_ms as f64 / c.won as f64)
}

pub fn win_rate(c: &SalesCounts) -> Option<f64> {
    ratio(c.won, c.won + c.lost)
}

/// Sales by group, with what their page and files show around them.
pub struct SalesData {
    pub params: Params,
    pub now: SalesReport,
    pub previous: Option<SalesReport>,
    /// The names of the managers or pipelines the rows are of.
    pub names: HashMap<i64, String>,
}

pub async fn sales(db: &Db, actor: &Actor, params: Params) -> Result<SalesData, StoreError> {
    let now = db.sales_report(actor, &params.scope, params.pipeline(), params.group, params.step).await?;
    let previous = match params.previous_scope() {
        Some(s) => Some(db.sales_report(actor, &s, params.pipeline(), params.group, params.step).await?),
        None => None,
    };
    let ids = now.rows.iter().chain(previous.iter().flat_map(|p| &p.rows)).filter_map(|r| match r.key {
        SalesKey::Id(Some(i)) => Some(i),
        _ => None,
    });
    let names = match params.group {
        SalesGroup::Owner => db.names(actor, Entity::User, ids).await?,
        SalesGroup::Pipeline => db.names(actor, Entity::Pipeline, ids).await?,
        _ => HashMap::new(),
    };
    Ok(SalesData { params, now, previous, names })
}

fn sales_json(c: &SalesCounts) -> Value {
    json!({
        "won": c.won,
        "won_value": c.won_value,
        "average": average(c),
        "lost": c.lost,
        "lost_value": c.lost_value,
        "win_rate": pct(win_rate(c)),
        "cycle_median_days": c.cycle_median_ms.map(days),
        "cycle_mean_days": cycle_mean_ms(c).map(days),
    })
}

impl SalesData {
    /// The column the rows are named in.
    pub fn group_head(&self, t: &T) -> String {
        t.t(&format!("reports.sales.by.{}", self.params.group.as_str())).to_string()
    }

    /// A row's name: its days (written by `day`), manager, source or pipeline.
    pub fn label(&self, t: &T, row: &SalesRow, day: impl Fn(&str) -> String) -> String {
        if let Some(b) = &row.bucket {
            return if b.first_day == b.last_day { day(&b.first_day) } else { format!("{} — {}", day(&b.first_day), day(&b.last_day)) };
        }
        match (&row.key, self.params.group) {
            (SalesKey::Id(Some(i)), _) => self.names.get(i).cloned().unwrap_or_else(|| format!("#{i}")),
            (SalesKey::Id(None), SalesGroup::Pipeline) => "—".into(),
            (SalesKey::Id(None), _) => t.t("reports.no_owner").to_string(),
            (SalesKey::Text(Some(s)), _) => s.clone(),
            (SalesKey::Text(None), _) => t.t("reports.no_source").to_string(),
        }
    }

    /// The comparison period's figures of row `i`: the bucket in the same place when by period,
    /// the same manager, source or pipeline otherwise.
    pub fn previous_of(&self, i: usize) -> Option<&SalesCounts> {
        let prev = self.previous.as_ref()?;
        if self.params.group == SalesGroup::Period {
            return prev.rows.get(i).map(|r| &r.counts);
        }
        let key = &self.now.rows.get(i)?.key;
        prev.rows.iter().find(|r| &r.key == key).map(|r| &r.counts)
    }

    fn rows_json(&self, rows: &[SalesRow]) -> Vec<Value> {
        rows.iter()
            .map(|r| {
                let mut v = sales_json(&r.counts);
                match (&r.bucket, &r.key, self.params.group) {
                    (Some(b), _, _) => {
                        v["from"] = json!(b.first_day);
                        v["to"] = json!(b.last_day);
                    }
                    (None, SalesKey::Text(s), _) => v["source"] = json!(s),
                    (None, SalesKey::Id(i), g) => {
                        v[if g == SalesGroup::Pipeline { "pipeline_id" } else { "owner_id" }] = json!(i);
                        v["name"] = json!(i.and_then(|i| self.names.get(&i)));
                    }
                }
                v
            })
            .collect()
    }

    pub fn json(&self) -> Value {
        let p = &self.params;
        let mut v = json!({
            "report": "sales",
            "pipeline_id": p.pipeline(),
            "period": period_json(&p.period),
            "group": p.group.as_str(),
            "step": (p.group == SalesGroup::Period).then(|| p.step.as_str()),
            "total": sales_json(&self.now.total),
            "rows": self.rows_json(&self.now.rows),
        });
        if let (Some(prev), Some(pp)) = (&self.previous, &p.compare) {
            v["previous"] = json!({"period": period_json(pp), "total": sales_json(&prev.total), "rows": self.rows_json(&prev.rows)});
        }
        v
    }

    /// A row per group and the total: won, revenue, the average deal, lost, the win rate and
    /// the cycle in days.
    pub fn table(&self, t: &T) -> Table {
        let mut heads = vec![self.group_head(t)];
        heads.extend(
            [
                "reports.won",
                "reports.col.won_value",
                "reports.col.average",
                "reports.col.lost",
                "reports.col.win_rate",
                "reports.col.cycle_median",
                "reports.col.cycle_mean",
            ]
            .map(|k| t.t(k).to_string()),
        );
        let mut table = Table::new(heads);
        let row = |name: String, c: &SalesCounts| {
            vec![
                Cell::Text(name),
                Cell::Int(c.won),
                Cell::Money(c.won_value),
                average(c).map_or(Cell::Empty, Cell::Money),
                Cell::Int(c.lost),
                Cell::Pct(win_rate(c)),
                Cell::Days(c.cycle_median_ms.map(|m| m / DAY_MS)),
                Cell::Days(cycle_mean_ms(c).map(|m| m / DAY_MS)),
            ]
        };
        for r in &self.now.rows {
            table.rows.push(row(self.label(t, r, |d| d.to_string()), &r.counts));
        }
        table.rows.push(row(t.t("reports.total").to_string(), &self.now.total));
        table
    }
}

/// Lost deals by reason, stage and manager, with what their page and files show around them.
pub struct LostData {
    pub params: Params,
    pub now: LostReasonsReport,
    pub previous: Option<LostReasonsReport>,
    pub owners: HashMap<i64, String>,
    pub stages: HashMap<i64, String>,
}

pub async fn lost_reasons(db: &Db, actor: &Actor, params: Params) -> Result<LostData, StoreError> {
    let now = db.lost_reasons_report(actor, &params.scope).await?;
    let previous = match params.previous_scope() {
        Some(s) => Some(db.lost_reasons_report(actor, &s).await?),
        None => None,
    };
    let owners = db.names(actor, Entity::User, now.cells.iter().filter_map(|c| c.owner_id)).await?;
    let stages = db.names(actor, Entity::Stage, now.cells.iter().filter_map(|c| c.stage_id)).await?;
    Ok(LostData { params, now, previous, owners, stages })
}

fn lost_json(l: &Lost, total: &Lost) -> Value {
    json!({"lost": l.lost, "value": l.value, "share": pct(ratio(l.lost, total.lost))})
}

impl LostData {
    pub fn reason_name(&self, t: &T, r: &Option<String>) -> String {
        r.clone().unwrap_or_else(|| t.t("reports.no_reason").to_string())
    }

    pub fn owner_name(&self, t: &T, o: Option<i64>) -> String {
        match o {
            Some(o) => self.owners.get(&o).cloned().unwrap_or_else(|| format!("#{o}")),
            None => t.t("reports.no_owner").to_string(),
        }
    }

    pub fn stage_name(&self, s: Option<i64>) -> String {
        s.and_then(|s| self.stages.get(&s).cloned()).unwrap_or_else(|| "—".into())
    }

    pub fn json(&self) -> Value {
        let total = self.now.total();
        let reasons = |r: &LostReasonsReport| {
            let total = r.total();
            r.by_reason()
                .iter()
                .map(|(reason, l)| json!({"reason": reason, "lost": l.lost, "value": l.value, "share": pct(ratio(l.lost, total.lost))}))
                .collect::<Vec<_>>()
        };
        let mut v = json!({
            "report": "lost_reasons",
            "pipeline_id": self.params.scope.pipeline,
            "period": period_json(&self.params.period),
            "total": {"lost": total.lost, "value": total.value},
            "reasons": reasons(&self.now),
            "stages": self.now.by_stage().iter().map(|(s, l)| {
                let mut v = lost_json(l, &total);
                v["stage_id"] = json!(s);
                v["name"] = json!(self.stage_name(*s));
                v
            }).collect::<Vec<_>>(),
            "managers": self.now.by_owner().iter().map(|(o, l)| {
                let mut v = lost_json(l, &total);
                v["owner_id"] = json!(o);
                v["name"] = json!(o.and_then(|o| self.owners.get(&o)));
                v["reasons"] = self.now.by_reason().iter().filter_map(|(r, _)| {
                    let c = self.now.count(r, *o);
                    (c.lost > 0).then(|| json!({"reason": r, "lost": c.lost, "value": c.value}))
                }).collect::<Vec<_>>().into();
                v
            }).collect::<Vec<_>>(),
        });
        if let (Some(prev), Some(pp)) = (&self.previous, &self.params.compare) {
            let t = prev.total();
            v["previous"] = json!({"period": period_json(pp), "total": {"lost": t.lost, "value": t.value}, "reasons": reasons(prev)});
        }
        v
    }

    /// A row per reason (lost, value, share, and how many each manager lost for it), the total,
    /// then a row per stage where the deals were lost.
    pub fn table(&self, t: &T) -> Table {
        let owners = self.now.by_owner();
        let mut heads =
            ["reports.col.reason", "reports.col.lost", "reports.col.lost_value", "reports.col.share"].map(|k| t.t(k).to_string()).to_vec();
        heads.extend(owners.iter().map(|(o, _)| self.owner_name(t, *o)));
        let width = heads.len();
        let mut table = Table::new(heads);
        let total = self.now.total();
        for (reason, l) in self.now.by_reason() {
            let mut row = vec![
                Cell::Text(self.reason_name(t, &reason)),
                Cell::Int(l.lost),
                Cell::Money(l.value),
                Cell::Pct(ratio(l.lost, total.lost)),
            ];
            row.extend(owners.iter().map(|(o, _)| Cell::Int(self.now.count(&reason, *o).lost)));
            table.rows.push(row);
        }
        let mut row = vec![Cell::Text(t.t("reports.total").to_string()), Cell::Int(total.lost), Cell::Money(total.value), Cell::Empty];
        row.extend(owners.iter().map(|(_, l)| Cell::Int(l.lost)));
        table.rows.push(row);
        table.rows.push(vec![Cell::Empty; width]);
        table.rows.push(
            ["reports.col.lost_stage", "reports.col.lost", "reports.col.lost_value", "reports.col.share"]
                .map(|k| Cell::Text(t.t(k).to_string()))
                .to_vec(),
        );
        for (s, l) in self.now.by_stage() {
            table.rows.push(vec![
                Cell::Text(self.stage_name(s)),
                Cell::Int(l.lost),
                Cell::Money(l.value),
                Cell::Pct(ratio(l.lost, total.lost)),
            ]);
        }
        table
    }
}

/// A cell of an exported report.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Minor units of the workspace's currency.
    Money(i64),
    Pct(Option<f64>),
    /// Days, with one decimal.
    Days(Option<f64>),
    Empty,
}

/// A report as rows under a header, for CSV and XLSX.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(headers: Vec<String>) -> Table {
        Table { headers, rows: Vec::new() }
    }

    /// CSV with a byte-order mark; money in currency units, shares in percent with one decimal.
    pub fn csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        let line = |cells: Vec<String>| cells.iter().map(|c| crate::security::csv_text(c)).collect::<Vec<_>>().join(",") + "\r\n";
        out.push_str(&line(self.headers.clone()));
        for r in &self.rows {
            out.push_str(&line(r.iter().map(cell_text).collect()));
        }
        out
    }

    /// One sheet, the header bold and frozen; numbers as numbers, shares as percentages; no
    /// text is ever a formula.
    pub fn xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let bold = Format::new().set_bold();
        let percent = Format::new().set_num_format("0.0%");
        let money = Format::new().set_num_format("#,##0.00");
        let days = Format::new().set_num_format("0.0");
        for (c, h) in self.headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold)?;
            sheet.set_column_width(c as u16, if c == 0 { 32 } else { 16 })?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c, s).map(|_| ())?,
                    Cell::Int(n) => sheet.write_number(r, c, *n as f64).map(|_| ())?,
                    Cell::Money(n) => sheet.write_number_with_format(r, c, *n as f64 / 100.0, &money).map(|_| ())?,
                    Cell::Pct(Some(p)) => sheet.write_number_with_format(r, c, *p, &percent).map(|_| ())?,
                    Cell::Days(Some(d)) => sheet.write_number_with_format(r, c, *d, &days).map(|_| ())?,
                    Cell::Pct(None) | Cell::Days(None) | Cell::Empty => {}
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        book.save_to_buffer()
    }
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Money(n) => format!("{}.{:02}", n / 100, (n % 100).abs()),
        Cell::Pct(Some(p)) => format!("{:.1}", p * 100.0),
        Cell::Days(Some(d)) => format!("{d:.1}"),
        Cell::Pct(None) | Cell::Days(None) | Cell::Empty => String::new(),
    }
}

/// Query pairs of a raw query string.
pub fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The owners a report's manager select offers: the workspace's active users the caller sees.
pub async fn owners(db: &Db, actor: &Actor) -> Result<HashMap<i64, String>, StoreError> {
    let q = poryadok_store::ListQuery { limit: Some("500".into()), sort: Some("name".into()), ..Default::default() };
    Ok(db.list(actor, Entity::User, &q).await?.data.iter().map(|u| (u.id(), u.get("name").as_text().unwrap_or("").to_string())).collect())
}
