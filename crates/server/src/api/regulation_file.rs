//! The regulation as one file (issue 23), for administrators:
//!
//! - `GET /api/v1/regulation`: the workspace's regulation as TOML (`application/toml`)
//! - `POST /api/v1/regulation/plan` (body: the TOML file): what applying it would change and
//!   do, as JSON; refusals with their lines in `errors`
//! - `POST /api/v1/regulation/apply` (body: the TOML file): all or nothing; 422 with the line,
//!   the field and every refusal when it does not apply
//! - `GET /api/v1/regulation/versions`, `GET /api/v1/regulation/versions/{n}` (TOML; JSON with
//!   the diff when `?format=json`), `POST /api/v1/regulation/versions/{n}/rollback`
//!
//! Deals of a removed stage move where `?move=PIPELINE/STAGE:TARGET` says (repeatable; TARGET
//! is `PIPELINE/STAGE` or a stage key of the same pipeline); without it the plan and the apply
//! refuse.
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::msg::{words, Common};
use poryadok_store::regulation_file::{Applied, ApplyOptions, PlanError};
use serde_json::{json, Value};

pub const TOML_TYPE: &str = "application/toml; charset=utf-8";

fn toml_response(text: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, TOML_TYPE)], text).into_response()
}

fn pairs(q: Option<&str>) -> Vec<(String, String)> {
    q.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
}

/// The apply options a query gives (`move=sales/old:sales/new`), refusing unknown parameters.
pub fn options(q: Option<&str>, allowed: &[&str]) -> ApiResult<(ApplyOptions, Vec<(String, String)>)> {
    let mut opts = ApplyOptions::default();
    let mut rest = Vec::new();
    for (k, v) in pairs(q) {
        match k.as_str() {
            "move" => {
                let (from, to) = v.split_once(':').ok_or_else(|| ApiError::invalid("move", Common::Required {}))?;
                opts.move_deals_to.insert(from.trim().to_string(), to.trim().to_string());
            }
            other if allowed.contains(&other) => rest.push((k.clone(), v)),
            other => {
                let mut expected = vec!["move"];
                expected.extend_from_slice(allowed);
                return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(expected) }));
            }
        }
    }
    Ok((opts, rest))
}

fn body_text(body: &Bytes) -> ApiResult<&str> {
    std::str::from_utf8(body).map_err(|_| ApiError::bad_body(poryadok_core::msg::ApiMsg::NotUtf8File {}))
}

/// A refused file: 422 whose `error` names the first refusal (line, field) and lists them all.
pub fn refused(errors: Vec<PlanError>) -> ApiError {
    let first = errors.first().cloned();
    let mut e = match first {
        Some(f) => {
            let mut e = ApiError::invalid(f.path.clone(), f.msg.clone());
            e.position = Some(json!({"line": f.line}));
            e
        }
        None => ApiError::from_msg(StatusCode::UNPROCESSABLE_ENTITY, "validation", poryadok_core::msg::ApiMsg::FileDoesNotApply {}),
    };
    e.position = Some(json!({"line": errors.first().and_then(|f| f.line), "errors": errors}));
    e
}

fn applied(a: Applied) -> ApiResult<Response> {
    match a {
        Applied::Refused { errors } => Err(refused(errors)),
        other => Ok((StatusCode::OK, Json(json!({"data": other}))).into_response()),
    }
}

/// `GET /api/v1/regulation`
pub async fn export(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Response> {
    Ok(toml_response(st.db.regulation_export(&actor).await?.to_toml()))
}

/// `POST /api/v1/regulation/plan`
pub async fn plan(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery, body: Bytes) -> ApiResult<Json<Value>> {
    let (opts, _) = options(q.as_deref(), &[])?;
    let plan = st.db.regulation_plan(&actor, body_text(&body)?, &opts).await?;
    Ok(Json(json!({"data": plan})))
}

/// `POST /api/v1/regulation/apply`
pub async fn apply(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery, body: Bytes) -> ApiResult<Response> {
    let (opts, _) = options(q.as_deref(), &[])?;
    applied(st.db.regulation_apply(&actor, body_text(&body)?, &opts).await?)
}

/// `GET /api/v1/regulation/versions`
pub async fn versions(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    st.db.regulation_snapshot_by(&actor).await?;
    Ok(Json(json!({"data": st.db.regulation_versions(&actor).await?})))
}

/// `GET /api/v1/regulation/versions/{n}`
pub async fn version(State(st): State<AppState>, Auth(actor): Auth, Path(n): Path<i64>, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let v = st.db.regulation_version(&actor, n).await?;
    let mut json_form = false;
    for (k, val) in pairs(q.as_deref()) {
        match (k.as_str(), val.as_str()) {
            ("format", "json") => json_form = true,
            ("format", "toml") => json_form = false,
            ("format", _) => return Err(ApiError::invalid("format", Common::OneOf { list: words(["toml", "json"]) })),
            (other, _) => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["format"]) })),
        }
    }
    if json_form {
        return Ok(Json(json!({"data": v})).into_response());
    }
    Ok(toml_response(v.toml))
}

/// `POST /api/v1/regulation/versions/{n}/rollback`
pub async fn rollback(State(st): State<AppState>, Auth(actor): Auth, Path(n): Path<i64>, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let (opts, _) = options(q.as_deref(), &[])?;
    applied(st.db.regulation_rollback(&actor, n, &opts).await?)
}
