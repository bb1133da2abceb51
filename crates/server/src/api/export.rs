//! `GET /api/v1/export?format=jsonl|csv|xlsx`: the caller's whole workspace, for administrators.
//! JSON lines stream as they are read (one snapshot); CSV and XLSX come as a zip of one file per
//! entity, built in memory.
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::workspace_export::{zip, Format};
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use poryadok_core::domain::Role;
use poryadok_core::msg::Common;
use poryadok_store::dump::jsonl::{ChunkOut, JsonlSink};
use poryadok_store::dump::{Scope, Snapshot};
use poryadok_store::StoreError;

/// A chunk of the body on its way to the client; the channel's bound holds the reader back
/// when the client reads slowly.
struct ChannelOut(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>);

#[async_trait::async_trait]
impl ChunkOut for ChannelOut {
    async fn write(&mut self, chunk: Vec<u8>) -> poryadok_store::Result<()> {
        self.0.send(Ok(Bytes::from(chunk))).await.map_err(|_| StoreError::Internal("the client went away".into()))
    }
}

fn attachment(mut resp: Response, content_type: &'static str, file: &str) -> Response {
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The export as a response for an administrator of the workspace (shared with the settings
/// page's download).
pub async fn export_response(st: &AppState, actor: &poryadok_store::Actor, format: Format) -> Result<Response, StoreError> {
    let ws = actor.ws_id();
    let stamp = time::OffsetDateTime::from_unix_timestamp(st.db.clock.now_ms() / 1000)
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), t.month() as u8, t.day()))
        .unwrap_or_default();
    let name = format!("poryadok-workspace-{ws}-{stamp}");
    match format {
        Format::Jsonl => {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
            // From the read replica when one is configured (`--read-database-url`).
            let db = st.db.reader();
            let now = db.clock.now_ms();
            // Opened before answering, so a database that cannot be read fails the request.
            let mut snap = Snapshot::open(&db).await?;
            tokio::spawn(async move {
                let result = async {
                    let mut sink = JsonlSink::new(ChannelOut(tx.clone()), Scope::Workspace(ws), now).await?;
                    snap.dump(Scope::Workspace(ws), &mut sink, &mut |_| {}).await?;
                    snap.close().await
                }
                .await;
                if let Err(e) = result {
                    tracing::error!(error = %e, "workspace export failed part-way");
                    let _ = tx.send(Err(std::io::Error::other("the export failed"))).await;
                }
            });
            let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
            let resp = (StatusCode::OK, Body::from_stream(stream)).into_response();
            Ok(attachment(resp, "application/x-ndjson", &format!("{name}.jsonl")))
        }
        Format::Csv | Format::Xlsx => {
            let sheets = st.db.reader().export_sheets(ws).await?;
            let bytes = zip(&sheets, format).map_err(StoreError::Internal)?;
            Ok(attachment((StatusCode::OK, bytes).into_response(), "application/zip", &format!("{name}-{}.zip", format.ext())))
        }
    }
}

/// `GET /api/v1/export?format=jsonl` (the default), `csv` or `xlsx`.
pub async fn export(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Response> {
    if actor.caller.role != Role::Admin {
        return Err(ApiError::from_msg(StatusCode::FORBIDDEN, "forbidden", Common::ExportAdminOnly {}));
    }
    let given = form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let format = Format::parse(&given).ok_or_else(|| {
        ApiError::from_msg(StatusCode::BAD_REQUEST, "validation", Common::ExportFormat { given: given.clone() }).with_field("format")
    })?;
    Ok(export_response(&st, &actor, format).await?)
}
