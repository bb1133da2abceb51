//! Global search in the top bar: `/` or Ctrl+K focuses the box, results drop down as one types
//! (an htmx fragment), arrows move through them, Enter opens one. Without script the box is a
//! form to `/search`, the same results as a page.
use super::i18n::T;
use super::{render, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use poryadok_store::search::SearchResults;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    q: String,
}

/// One result as a line: where it leads, what it is called, and what tells it apart.
pub struct HitView {
    pub href: String,
    pub name: String,
    pub detail: String,
}

pub struct Group {
    pub title: &'static str,
    pub hits: Vec<HitView>,
}

pub struct ResultsView {
    pub q: String,
    pub groups: Vec<Group>,
    /// The query could not run (too short): what to do instead.
    pub hint: Option<String>,
}

impl ResultsView {
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.hits.is_empty())
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    ctx: super::Ctx,
    t: T,
    r: ResultsView,
}

#[derive(Template)]
#[template(path = "search_results.html")]
struct SearchFragment {
    t: T,
    r: ResultsView,
}

fn view(ui: &Ui, q: &str, found: SearchResults) -> ResultsView {
    let (t, fmt) = (ui.t, ui.fmt());
    let status = |s: &str| t.t(&format!("card.status.{s}")).to_string();
    let deals = found
        .deals
        .into_iter()
        .map(|d| HitView {
            href: format!("/deals/{}", d.id),
            detail: format!("{} · {}", fmt.money(d.value, &d.currency), status(&d.status)),
            name: d.title,
        })
        .collect();
    let persons = found
        .persons
        .into_iter()
        .map(|p| HitView {
            href: format!("/persons/{}", p.id),
            detail: [p.phone.as_deref().map(poryadok_core::intake::display_phone), p.email]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            name: p.name,
        })
        .collect();
    let organizations = found
        .organizations
        .into_iter()
        .map(|o| HitView {
            href: format!("/organizations/{}", o.id),
            detail: o.tax_id.map(|inn| format!("{} {inn}", t.t("search.tax_id"))).unwrap_or_default(),
            name: o.name,
        })
        .collect();
    ResultsView {
        q: q.to_string(),
        groups: vec![
            Group { title: "search.persons", hits: persons },
            Group { title: "search.organizations", hits: organizations },
            Group { title: "search.deals", hits: deals },
        ],
        hint: None,
    }
}

async fn search(State(st): State<AppState>, ui: Ui, Query(p): Query<Params>) -> Response {
    let r = match st.db.search(&ui.actor, &p.q, None).await {
        Ok(found) => view(&ui, &p.q, found),
        Err(e) => {
            let hint = e.msg().map(|m| super::messages::say(&ui.t, m)).unwrap_or_else(|| ui.t.t("error.internal").to_string());
            ResultsView { q: p.q.trim().to_string(), groups: Vec::new(), hint: Some(hint) }
        }
    };
    if ui.htmx {
        render(&SearchFragment { t: ui.t, r })
    } else {
        let title = ui.t.t("search.title");
        render(&SearchPage { ctx: ui.ctx("search", title), t: ui.t, r })
    }
}
