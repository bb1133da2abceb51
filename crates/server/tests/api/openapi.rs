use crate::helpers::*;
use reqwest::StatusCode;

crate::both_dbs!(openapi_document_is_served_and_stable);

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
