//! The signed-in user's notifications: the list behind the bell, newest first, with marking one
//! or all of them read in place (the bell's count follows through an out-of-band swap).
use super::i18n::T;
use super::{render, store_error, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use poryadok_store::notifications::Notification;
use poryadok_store::StoreError;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(page))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/{id}/read", post(read_one))
}

const PAGE_SIZE: u64 = 30;

pub struct ItemView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub time: String,
    pub unread: bool,
}

pub struct ListView {
    pub items: Vec<ItemView>,
    pub unread_only: bool,
    /// The address of the next, older page, if there is one.
    pub older: Option<String>,
    /// The page does not start at the newest notification.
    pub paged: bool,
    pub unread: i64,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    ctx: super::Ctx,
    t: T,
    list: ListView,
}

#[derive(Template)]
#[template(path = "notifications_fragment.html")]
struct NotificationsFragment {
    t: T,
    list: ListView,
    /// Also update the bell in the top bar.
    oob: bool,
}

#[derive(Template)]
#[template(path = "notifications_read.html")]
struct ReadItem {
    t: T,
    item: ItemView,
    csrf: String,
    unread: i64,
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    unread: Option<String>,
    /// Kept as text: a mangled address shows the newest page rather than an error.
    #[serde(default)]
    before: Option<String>,
}

impl ListParams {
    fn unread_only(&self) -> bool {
        matches!(self.unread.as_deref(), Some("1" | "true"))
    }
    fn before(&self) -> Option<i64> {
        self.before.as_deref().and_then(|b| b.parse().ok())
    }
}

fn item(ui: &Ui, n: Notification) -> ItemView {
    ItemView { id: n.id, time: ui.fmt().datetime(n.created_at), unread: n.read_at.is_none(), title: n.title, body: n.body, link: n.link }
}

async fn load(st: &AppState, ui: &Ui, p: &ListParams) -> Result<ListView, StoreError> {
    let unread_only = p.unread_only();
    let rows = st.db.notifications(&ui.actor, unread_only, PAGE_SIZE, p.before()).await?;
    let older = match rows.last() {
        Some(last) if rows.len() as u64 == PAGE_SIZE => {
            Some(format!("/notifications?{}before={}", if unread_only { "unread=1&" } else { "" }, last.id))
        }
        _ => None,
    };
    Ok(ListView {
        items: rows.into_iter().map(|n| item(ui, n)).collect(),
        unread_only,
        older,
        paged: p.before().is_some(),
        unread: st.db.unread_count(&ui.actor).await?,
        csrf: ui.csrf.clone(),
    })
}

async fn respond(st: &AppState, ui: &Ui, p: &ListParams, oob: bool) -> Response {
    let list = match load(st, ui, p).await {
        Ok(l) => l,
        Err(e) => return store_error(ui, e),
    };
    if ui.htmx {
        return render(&NotificationsFragment { t: ui.t, list, oob });
    }
    let mut ctx = ui.ctx("notifications", ui.t.t("notifications.title"));
    ctx.unread = list.unread;
    render(&NotificationsPage { ctx, t: ui.t, list })
}

async fn page(State(st): State<AppState>, ui: Ui, Query(p): Query<ListParams>) -> Response {
    respond(&st, &ui, &p, false).await
}

async fn read_all(State(st): State<AppState>, ui: Ui) -> Response {
    if let Err(e) = st.db.mark_read(&ui.actor, None).await {
        return store_error(&ui, e);
    }
    if ui.htmx {
        return respond(&st, &ui, &ListParams::default(), true).await;
    }
    Redirect::to("/notifications").into_response()
}

/// Marks one read; htmx gets the item back in its read state and the bell's new count.
async fn read_one(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    let marked = async {
        st.db.mark_read(&ui.actor, Some(&[id])).await?;
        // Only the caller's own notification is found: someone else's id is not found.
        let n = st.db.notifications(&ui.actor, false, 1, Some(id + 1)).await?.into_iter().find(|n| n.id == id);
        Ok::<_, StoreError>((n.ok_or(StoreError::NotFound)?, st.db.unread_count(&ui.actor).await?))
    };
    match marked.await {
        Ok((n, unread)) if ui.htmx => render(&ReadItem { t: ui.t, item: item(&ui, n), csrf: ui.csrf.clone(), unread }),
        Ok(_) => Redirect::to("/notifications").into_response(),
        Err(e) => store_error(&ui, e),
    }
}
