//! Moves that need more, in the web UI: a stage's required fields asked for in a dialog that
//! completes the move, closing from the board's zones with a reason from the workspace's list,
//! and columns the user's role may not reach shown before the drop.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(
    a_move_refused_for_missing_fields_asks_for_exactly_those_and_completes,
    a_deal_is_lost_with_a_reason_from_the_list,
    the_board_shows_which_stages_the_role_may_not_reach,
);

async fn a_move_refused_for_missing_fields_asks_for_exactly_those_and_completes(app: TestApp) {
    let stage = app.ids.stages[1];
    let (s, v) = app
        .patch(
            &app.t.admin,
            &format!("/api/v1/stages/{stage}"),
            json!({"regulation": {"required_fields": ["value", "custom.proposal_link", "expected_close_date"]}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Сайт", "value": 700_000})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let deal_s = deal.to_string();
    let stage_s = stage.to_string();
    let resp = ui
        .client
        .post(format!("{}/board/move", ui.base))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &ui.csrf)
        .form(&[("deal_id", deal_s.as_str()), ("stage_id", stage_s.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.headers().get("hx-retarget").and_then(|v| v.to_str().ok()), Some("#dialog-body"), "the dialog opens");
    let form = resp.text().await.unwrap();
    assert!(form.contains("name=\"custom.proposal_link\"") && form.contains("name=\"expected_close_date\""), "{form}");
    assert!(!form.contains("name=\"value\""), "the amount is filled already, so it is not asked for: {form}");
    assert!(form.contains("Чтобы перейти на этап"), "{form}");
    let version = html_attr(&form, "name=\"version\"", "value").unwrap();

    // A bad link is refused in place, nothing moves.
    let (s, _, html) = ui
        .post_form_to(
            &format!("/deals/{deal}/complete"),
            &[
                ("version", &version),
                ("stage_id", &stage_s),
                ("custom.proposal_link", "javascript:alert(1)"),
                ("expected_close_date", "2026-12-20"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"f-custom-proposal_link-error\""), "{html}");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[0]);

    let (s, to, html) = ui
        .post_form_to(
            &format!("/deals/{deal}/complete"),
            &[
                ("version", &version),
                ("stage_id", &stage_s),
                ("custom.proposal_link", "https://docs.example/kp.pdf"),
                ("expected_close_date", "2026-12-20"),
                ("back", "/board"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{html}");
    assert_eq!(to.as_deref(), Some("/board?saved=1"));
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], stage, "the move is complete");
    assert_eq!(v["data"]["custom"]["proposal_link"], "https://docs.example/kp.pdf");

    // The card's stage select asks the same way.
    let other = app.create(&app.t.manager1, "deals", json!({"title": "Второй", "value": 100})).await;
    let resp = ui
        .client
        .post(format!("{}/deals/{other}/stage", ui.base))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &ui.csrf)
        .form(&[("stage_id", stage_s.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get("hx-retarget").and_then(|v| v.to_str().ok()), Some("#dialog-body"));
}

async fn a_deal_is_lost_with_a_reason_from_the_list(app: TestApp) {
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", json!({"lost_reasons": ["Дорого", "Выбрали конкурента"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Поставка"})).await;
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, board) = ui.get("/board").await;
    assert!(board.contains("data-close-status=\"lost\""), "the board has the closing zones");
    let (_, form) = ui.get_fragment(&format!("/deals/{deal}/close?status=lost")).await;
    assert!(form.contains("<option value=\"Дорого\">Дорого</option>"), "the reason is a select of the list: {form}");
    let (s, _, html) = ui.post_form_to(&format!("/deals/{deal}/close"), &[("status", "lost"), ("reason", ""), ("comment", "")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("close-error"), "{html}");
    let (s, _, html) =
        ui.post_form_to(&format!("/deals/{deal}/close"), &[("status", "lost"), ("reason", "Нет такой"), ("comment", "")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a reason outside the list is refused: {html}");
    let (s, to, html) = ui
        .post_form_to(
            &format!("/deals/{deal}/close"),
            &[("status", "lost"), ("reason", "Дорого"), ("comment", "Бюджет урезали"), ("back", "/board")],
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{html}");
    assert_eq!(to.as_deref(), Some("/board?saved=1"));
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!((v["data"]["status"].as_str(), v["data"]["lost_reason"].as_str()), (Some("lost"), Some("Дорого")));
    // The card's own "Lost" form offers the same list.
    let open = app.create(&app.t.manager1, "deals", json!({"title": "Ещё одна"})).await;
    let (_, card) = ui.get(&format!("/deals/{open}")).await;
    assert!(card.contains("<select id=\"lost-reason\""), "the card's lost form is a select too");
}

async fn the_board_shows_which_stages_the_role_may_not_reach(app: TestApp) {
    let ranges = json!({"role_ranges": [{"role": "manager", "up_to_stage_id": app.ids.stages[1]}]});
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/pipelines/{}", app.ids.pipeline), ranges).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, board) = ui.get("/board").await;
    let locked = |stage: i64| board.contains(&format!("class=\"column locked\" data-stage-id=\"{stage}\""));
    assert!(!locked(app.ids.stages[0]) && !locked(app.ids.stages[1]), "within the range");
    assert!(locked(app.ids.stages[2]), "beyond the range: {board}");
    let head = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (_, board) = head.get("/board").await;
    assert!(!board.contains("column locked"), "an administrator reaches every stage");
}
