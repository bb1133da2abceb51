//! The card's "Call" block: every phone of a deal's, a person's or an organization's card with a
//! "Call" button when a telephony source has a click-to-call request and the user an extension,
//! else as a `tel:` link with the reason. Pressing "Call" posts the same check and request as
//! `POST /api/v1/{…}/{id}/call` and shows "Calling…" or why the call was not placed.
use crate::click_to_call::{card_entity, place_call, CallError};
use crate::ui::kit::{render, store_error};
use crate::ui::messages::say;
use crate::ui::{Ui, T};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use poryadok_store::click_to_call::CardPhone;
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new().route("/call/{collection}/{id}", get(block)).route("/call/{collection}/{id}/place", post(place))
}

#[derive(Template)]
#[template(path = "call_block.html")]
struct Block {
    t: T,
    csrf: String,
    base: String,
    phones: Vec<CardPhone>,
    /// Why the numbers are only `tel:` links.
    tel_only: Option<String>,
    /// The person's name is shown next to a number when the card has several people.
    show_names: bool,
}

#[derive(Template)]
#[template(path = "call_state.html")]
struct CallState {
    ok: bool,
    text: String,
}

fn not_found(ui: &Ui) -> Response {
    store_error(ui, poryadok_store::StoreError::NotFound)
}

/// `GET /call/{deals|persons|organizations}/{id}`: the block, loaded after the card.
async fn block(State(st): State<AppState>, ui: Ui, Path((collection, id)): Path<(String, i64)>) -> Response {
    let Some(entity) = card_entity(&collection) else { return not_found(&ui) };
    match st.db.call_options(&ui.actor, entity, id).await {
        Ok(o) => {
            let show_names = o.phones.iter().any(|p| Some(p.person_id) != o.phones.first().map(|f| f.person_id)) || collection != "persons";
            render(&Block {
                t: ui.t,
                csrf: ui.csrf.clone(),
                base: format!("/call/{collection}/{id}"),
                tel_only: o.unavailable.as_ref().map(|m| say(&ui.t, m)),
                phones: o.phones,
                show_names,
            })
        }
        Err(e) => store_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct PlaceForm {
    #[serde(default)]
    phone: String,
}

/// `POST /call/{…}/{id}/place {phone}`: places the call; the state line comes back either way.
async fn place(State(st): State<AppState>, ui: Ui, Path((collection, id)): Path<(String, i64)>, Form(f): Form<PlaceForm>) -> Response {
    let Some(entity) = card_entity(&collection) else { return not_found(&ui) };
    let (ok, text) = match place_call(&st.db, &ui.actor, entity, id, &json!({"phone": f.phone})).await {
        Ok(p) => {
            let shown = poryadok_core::intake::display_phone(&p.phone);
            (true, ui.t.fmt("calls.calling", &[("extension", p.extension.as_str()), ("phone", shown.as_str())]))
        }
        Err(CallError::Provider(m)) => (false, ui.t.fmt("calls.failed", &[("why", say(&ui.t, &m).as_str())])),
        Err(CallError::Refused(e)) => match crate::ui::messages::refusal_line(&ui.t, &e) {
            Some(line) => (false, ui.t.fmt("calls.failed", &[("why", line.as_str())])),
            None => return store_error(&ui, e),
        },
    };
    render(&CallState { ok, text })
}
