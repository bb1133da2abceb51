//! Quizzes on the regulation: `/api/v1/quizzes` (CRUD; heads and administrators write),
//! `/api/v1/quizzes/generate` (from the stage regulation), `/api/v1/quizzes/mine`,
//! `/api/v1/quizzes/{id}/start` (an attempt begun: its deadline and order), `/api/v1/quizzes/{id}/attempts` (answers → score), `/api/v1/quizzes/{id}/assign` and
//! `/api/v1/quizzes/results` (per user and per question). See docs/QUIZZES.md.
use super::json_body;
use crate::api::extract::ApiPath;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use poryadok_core::msg::{words, Common};
use serde_json::{json, Value};

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

pub async fn list(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.quizzes(&actor).await?})))
}

/// `POST /api/v1/quizzes` with a quiz spec.
pub async fn create(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(json!({"data": st.db.create_quiz(&actor, &json_body(&body)?).await?}))))
}

pub async fn get(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.quiz(&actor, id_of(&id)?).await?})))
}

/// `PUT /api/v1/quizzes/{id}` with the whole spec.
pub async fn put(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.update_quiz(&actor, id_of(&id)?, &json_body(&body)?).await?})))
}

pub async fn delete(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.delete_quiz(&actor, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/quizzes/generate` with `{seed?}` (default 1).
pub async fn generate(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    let body = if body.is_empty() { json!({}) } else { json_body(&body)? };
    let o = body.as_object().ok_or_else(|| ApiError::invalid("body", Common::BodyNotObject {}))?;
    let mut seed = 1u64;
    for (k, v) in o {
        match k.as_str() {
            "seed" => seed = v.as_u64().ok_or_else(|| ApiError::invalid("seed", Common::NotInteger {}))?,
            other => return Err(ApiError::invalid(other, Common::UnknownField { expected: words(["seed"]) })),
        }
    }
    Ok(Json(json!({"data": st.db.generate_quiz(&actor, seed).await?})))
}

pub async fn mine(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.my_quizzes(&actor).await?})))
}

/// `POST /api/v1/quizzes/{id}/attempts` with `{answers: {question key: [option index]}}`.
pub async fn attempt(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let data = st.db.submit_quiz(&actor, id_of(&id)?, &json_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": data}))))
}

/// `POST /api/v1/quizzes/{id}/start`: an attempt begun (or the caller's open one).
pub async fn start(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<(StatusCode, Json<Value>)> {
    let data = st.db.start_quiz(&actor, id_of(&id)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": data}))))
}

/// `POST /api/v1/quizzes/{id}/assign` with `{user_ids?: [..]}` (everyone active when absent).
pub async fn assign(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    let body = if body.is_empty() { json!({}) } else { json_body(&body)? };
    let o = body.as_object().ok_or_else(|| ApiError::invalid("body", Common::BodyNotObject {}))?;
    let mut users = None;
    for (k, v) in o {
        match k.as_str() {
            "user_ids" => {
                let list = v.as_array().ok_or_else(|| ApiError::invalid("user_ids", Common::NotList {}))?;
                users = Some(
                    list.iter()
                        .map(|x| x.as_i64().ok_or_else(|| ApiError::invalid("user_ids", Common::NotInteger {})))
                        .collect::<ApiResult<Vec<i64>>>()?,
                );
            }
            other => return Err(ApiError::invalid(other, Common::UnknownField { expected: words(["user_ids"]) })),
        }
    }
    let assigned = st.db.assign_quiz(&actor, id_of(&id)?, users).await?;
    Ok(Json(json!({"data": {"assigned": assigned}})))
}

pub async fn results(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.quiz_results(&actor).await?})))
}
