use crate::helpers::*;
use reqwest::StatusCode;

crate::both_dbs!(openapi_document_is_served_and_stable, every_api_route_is_in_the_document);

async fn openapi_document_is_served_and_stable(app: TestApp) {
    let resp = app.client.get(format!("{}/api/v1/openapi.json", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: serde_json::Value = resp.json().await.unwrap();
    for e in poryadok_core::schema::Entity::ALL {
        assert!(doc["paths"][format!("/api/v1/{}", e.path())]["get"].is_object(), "{}", e.path());
        assert!(doc["paths"][format!("/api/v1/{}/{{id}}/history", e.path())]["get"].is_object());
    }
    insta::assert_json_snapshot!("openapi", doc);
}

/// The routes the router serves under `/api/`, with their methods, read from the router's own
/// source: one `.route("path", get(..).post(..))` call per path.
fn api_routes() -> Vec<(String, Vec<&'static str>)> {
    let src = include_str!("../../src/lib.rs");
    let body = &src[src.find("pub fn router(").expect("the router function")..];
    let mut out = Vec::new();
    for chunk in body.split(".route(").skip(1) {
        let chunk = chunk.split(".merge(").next().unwrap_or(chunk);
        let chunk = chunk.split(".fallback(").next().unwrap_or(chunk);
        let path = chunk.trim_start().trim_start_matches('"');
        let path = &path[..path.find('"').expect("a quoted path")];
        if !path.starts_with("/api/") {
            continue;
        }
        let methods: Vec<&'static str> = ["get", "post", "patch", "put", "delete"]
            .into_iter()
            .filter(|m| {
                chunk
                    .match_indices(&format!("{m}("))
                    .any(|(i, _)| i == 0 || !chunk.as_bytes()[i - 1].is_ascii_alphanumeric() && chunk.as_bytes()[i - 1] != b'_')
            })
            .collect();
        assert!(!methods.is_empty(), "no method found for {path}");
        out.push((path.to_string(), methods));
    }
    out
}

/// The collections a `{entity}` route serves: every one by default; some routes only a few.
fn expansions(path: &str) -> Vec<String> {
    if !path.contains("{entity}") {
        return vec![path.to_string()];
    }
    let only: &[&str] = if path.ends_with("/messages") || path.ends_with("/reply_channels") {
        &["deals", "persons"]
    } else if path.ends_with("/merge") {
        &["persons", "organizations"]
    } else if path.ends_with("/files") {
        &["deals", "persons", "organizations", "activities", "notes"]
    } else if path.ends_with("/assistant_actions") || path.ends_with("/labels") {
        &["deals", "persons", "organizations", "activities"]
    } else {
        &[]
    };
    let all: Vec<&str> = poryadok_core::schema::Entity::ALL.iter().map(|e| e.path()).collect();
    let names = if only.is_empty() { all } else { only.to_vec() };
    names.into_iter().map(|c| path.replace("{entity}", c)).collect()
}

async fn every_api_route_is_in_the_document(app: TestApp) {
    let (_, doc) = app.get(&app.t.admin, "/api/v1/openapi.json").await;
    let routes = api_routes();
    assert!(routes.len() > 60, "the router parse found only {} routes", routes.len());
    let mut missing = Vec::new();
    for (path, methods) in &routes {
        for concrete in expansions(path) {
            for m in methods {
                if !doc["paths"][&concrete][m].is_object() {
                    missing.push(format!("{} {concrete}", m.to_uppercase()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "routes the OpenAPI document lacks:\n{}", missing.join("\n"));
    // Every list the document describes pages the same way.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        let lists = get["responses"]["200"]["content"]["application/json"]["schema"].to_string();
        let names: Vec<&str> =
            get["parameters"].as_array().map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect()).unwrap_or_default();
        if lists.contains("next_cursor") {
            assert!(names.contains(&"limit") && names.contains(&"cursor"), "{path} pages without limit and cursor: {names:?}");
        }
    }
}
