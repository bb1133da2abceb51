//! The regulation as one file (issue 23): export → apply → export is identical (the demo
//! regulation into an empty workspace), a plan of a hand-edited file lists exactly the edits and
//! what they do to today's deals, rollback restores the previous export, an unknown key is
//! refused with its line, a stage holding deals is removed only with a target, and a failing
//! item late in the file leaves the database as it was.
use crate::helpers::*;
use poryadok_core::domain::Channel;
use poryadok_store::regulation_file::{Applied, ApplyOptions};
use poryadok_store::workspace::NewWorkspace;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    the_demo_regulation_applied_to_an_empty_workspace_exports_identically,
    a_plan_of_a_hand_edited_file_lists_exactly_the_edits_and_their_impact,
    a_rollback_restores_the_previous_export,
    an_unknown_key_is_refused_with_its_line_and_nothing_changes,
    a_stage_holding_deals_is_removed_only_with_a_target_stage,
    a_failing_item_late_in_the_file_leaves_the_database_unchanged,
    only_administrators_read_and_apply_the_regulation,
    an_edited_assistant_setting_and_scorecard_plan_as_exactly_that_and_apply,
    a_release_pool_is_named_by_email_in_the_file,
    a_pipelines_bonus_split_is_in_the_file,
    hundreds_of_deals_of_a_removed_stage_move_with_their_history_and_the_target_stages_regulation,
    an_assistants_settings_change_is_a_history_event_and_a_version_of_the_regulation,
    the_call_review_sampling_is_in_the_file,
);

impl TestApp {
    async fn text(&self, token: &str, method: reqwest::Method, path: &str, body: Option<String>) -> (StatusCode, String) {
        let mut r = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(b) = body {
            r = r.header("content-type", "application/toml").body(b);
        }
        let resp = r.send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }
    async fn export_text(&self) -> String {
        let (s, t) = self.text(&self.t.admin, reqwest::Method::GET, "/api/v1/regulation", None).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        t
    }
    async fn post_toml(&self, path: &str, body: &str) -> (StatusCode, Value) {
        let (s, t) = self.text(&self.t.admin, reqwest::Method::POST, path, Some(body.to_string())).await;
        (s, serde_json::from_str(&t).unwrap_or_else(|_| panic!("not JSON: {t}")))
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.trim() == needle).unwrap_or_else(|| panic!("{needle} not in\n{text}")) + 1
}

async fn the_demo_regulation_applied_to_an_empty_workspace_exports_identically(app: TestApp) {
    let seed = 100 + rand::random::<u64>() % 1_000_000;
    let demo = app.db.generate_demo(&poryadok_store::demo::DemoOptions { deals: 40, seed }).await.unwrap();
    app.db.apply_demo_process(demo.workspace_id).await.unwrap();
    let demo_admin = app.db.system_actor(demo.workspace_id, Channel::Cli).await.unwrap();
    let exported = app.db.regulation_export(&demo_admin).await.unwrap();
    assert!(exported.pipelines.iter().any(|p| p.stages.iter().any(|s| !s.required_fields.is_empty())), "the demo has required fields");
    assert!(!exported.rules.is_empty() && !exported.templates.is_empty(), "the demo has rules and templates");
    assert!(exported.assistants.len() >= 6 && exported.assistants.iter().all(|a| a.enabled), "the demo's assistants are on");
    assert!(exported.scorecard.as_ref().is_some_and(|c| c.criteria.len() >= 5), "the demo has a scorecard");
    let text = exported.to_toml();

    let empty = app.db.create_workspace(&NewWorkspace { name: "Пустое".into(), ..Default::default() }).await.unwrap();
    let admin = app.db.system_actor(empty.id, Channel::Cli).await.unwrap();
    let outcome = app.db.regulation_apply(&admin, &text, &ApplyOptions::default()).await.unwrap();
    assert!(matches!(outcome, Applied::Applied { .. }), "{outcome:?}");
    let again = app.db.regulation_export(&admin).await.unwrap();
    assert_eq!(again.to_toml(), text, "export → apply → export is identical");
    // Applying the same file again changes nothing.
    let outcome = app.db.regulation_apply(&admin, &text, &ApplyOptions::default()).await.unwrap();
    assert!(matches!(outcome, Applied::Unchanged {}), "{outcome:?}");
}

async fn a_plan_of_a_hand_edited_file_lists_exactly_the_edits_and_their_impact(app: TestApp) {
    // Two open deals wait in «Новый» without a value; one has it.
    for value in [0, 0, 5000] {
        app.create(
            &app.t.admin,
            "deals",
            json!({"title": "Сделка", "pipeline_id": app.ids.pipeline, "stage_id": app.ids.stages[0], "value": value}),
        )
        .await;
    }
    let text = app.export_text().await;
    assert!(text.contains("key = \"prinyal_v_rabotu\""), "stages get keys from their names:\n{text}");
    let edited = text
        .replace("name = \"Коммуникация\"", "name = \"Коммуникация с клиентом\"")
        .replace("key = \"prinyal_v_rabotu\"\nname = \"Принял в работу\"", "key = \"prinyal_v_rabotu\"\nname = \"Принял в работу\"\nrequired_fields = [\"value\"]")
        + "\n[[rule]]\nkey = \"no_value\"\nname = \"Нет суммы\"\nentity = \"deal\"\nexpression = \"status = open and value = 0\"\nwhy = \"Без суммы нет прогноза\"\n";
    let (s, v) = app.post_toml("/api/v1/regulation/plan", &edited).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let plan = &v["data"];
    assert_eq!(plan["errors"], json!([]), "{plan}");
    let changes: Vec<(String, String, Vec<String>)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let fields =
                c["fields"].as_array().map(|f| f.iter().map(|x| x["field"].as_str().unwrap().to_string()).collect()).unwrap_or_default();
            (c["key"].as_str().unwrap().to_string(), c["kind"].as_str().unwrap().to_string(), fields)
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            ("klienty/prinyal_v_rabotu".into(), "changed".into(), vec!["required_fields".to_string()]),
            ("klienty/kommunikatsiya".into(), "changed".into(), vec!["name".to_string()]),
            ("no_value".into(), "added".into(), vec![]),
        ],
        "{plan}"
    );
    let impacts: Vec<(&str, &Value)> =
        plan["impacts"].as_array().unwrap().iter().map(|i| (i["msg"]["code"].as_str().unwrap(), &i["msg"]["args"])).collect();
    assert!(
        impacts.contains(&("regulation_impact_required", &json!({"field": "value", "stage": "Принял в работу", "n": 2}))),
        "{impacts:?}"
    );
    assert!(impacts.contains(&("regulation_impact_rule", &json!({"rule": "Нет суммы", "n": 2, "managers": 1}))), "{impacts:?}");
    // The plan wrote nothing.
    assert_eq!(app.export_text().await, text);
}

async fn a_rollback_restores_the_previous_export(app: TestApp) {
    let before = app.export_text().await;
    // The regulation as the settings made it is version 1; an hour later a file changes it.
    let (s, _) = app.get(&app.t.admin, "/api/v1/regulation/versions").await;
    assert_eq!(s, StatusCode::OK);
    let t0 = app.db.clock.now_ms();
    app.clock.advance(time::Duration::hours(1));
    let edited = before.replace("name = \"Новый\"", "name = \"Новый лид\"\ngoal = \"Лид квалифицирован: есть задача и бюджет\"");
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &edited).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["outcome"], "applied");
    let applied = v["data"]["version"].as_i64().unwrap();
    assert_eq!(app.export_text().await, edited);
    let (s, v) = app.get(&app.t.admin, "/api/v1/regulation/versions").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let versions = v["data"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "the state before the apply and the apply: {v}");
    assert_eq!(versions[0]["version"], applied);
    let previous = versions[1]["version"].as_i64().unwrap();
    let (s, t) = app.text(&app.t.admin, reqwest::Method::GET, &format!("/api/v1/regulation/versions/{previous}"), None).await;
    assert_eq!((s, t.as_str()), (StatusCode::OK, before.as_str()));
    let (s, v) = app.get(&app.t.admin, &format!("/api/v1/regulation/versions/{applied}?format=json")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["data"]["diff"][0]["fields"],
        json!([{"field": "goal", "old": null, "new": "Лид квалифицирован: есть задача и бюджет"}, {"field": "name", "old": "Новый", "new": "Новый лид"}])
    );
    assert_eq!(v["data"]["author_id"], app.ids.admin);
    // The regulation as it was at a moment (the document's "changes since a date").
    let at = |ms: i64| {
        let db = app.db.clone();
        let ws = app.ws;
        async move { db.regulation_version_at(ws, ms).await.unwrap().map(|f| f.to_toml()) }
    };
    assert_eq!(at(t0 - 1).await, None);
    assert_eq!(at(t0).await.as_deref(), Some(before.as_str()));
    assert_eq!(at(t0 + 3_600_000).await.as_deref(), Some(edited.as_str()));

    let (s, v) = app.post(&app.t.admin, &format!("/api/v1/regulation/versions/{previous}/rollback"), json!(null)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["version"], applied + 1);
    assert_eq!(app.export_text().await, before, "the rollback restores the previous export");
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/stages/{}", app.ids.stages[0])).await;
    assert_eq!(v["data"]["name"], "Новый");
    let (s, v) = app.post(&app.t.admin, "/api/v1/regulation/versions/99/rollback", json!(null)).await;
    assert_error(&(s, v), 409, "conflict", Some("version"));
}

async fn an_unknown_key_is_refused_with_its_line_and_nothing_changes(app: TestApp) {
    let before = app.export_text().await;
    let bad = before.replace("name = \"Новый\"", "name = \"Новый лид\"\ncolour = \"red\"");
    let line = line_of(&bad, "colour = \"red\"");
    for path in ["/api/v1/regulation/apply", "/api/v1/regulation/plan"] {
        let (s, v) = app.post_toml(path, &bad).await;
        let err = if path.ends_with("apply") {
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["error"]["message_code"], "regulation_file_syntax", "{v}");
            assert_eq!(v["error"]["position"]["line"], line, "{v}");
            v["error"]["position"]["errors"][0].clone()
        } else {
            assert_eq!(s, StatusCode::OK, "{v}");
            v["data"]["errors"][0].clone()
        };
        assert_eq!(err["line"], line, "{v}");
        assert!(err["msg"]["message"].as_str().unwrap().contains("colour"), "the key is named: {v}");
    }
    // A reference to a stage the pipeline lacks, with the line of the pipeline's key.
    let bad = before
        .replace("name = \"Клиенты\"", "name = \"Клиенты\"\n\n[[pipeline.role_range]]\nrole = \"manager\"\nup_to_stage = \"nowhere\"");
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["message_code"], "regulation_no_stage", "{v}");
    assert_eq!(v["error"]["position"]["line"], line_of(&bad, "key = \"klienty\""), "{v}");
    assert_eq!(app.export_text().await, before);
}

async fn a_stage_holding_deals_is_removed_only_with_a_target_stage(app: TestApp) {
    let deal = app
        .create(
            &app.t.admin,
            "deals",
            json!({"title": "На этапе", "pipeline_id": app.ids.pipeline, "stage_id": app.ids.stages[2], "value": 100}),
        )
        .await;
    let before = app.export_text().await;
    let at = before.find("[[pipeline.stage]]\nkey = \"kommunikatsiya\"").unwrap_or_else(|| panic!("{before}"));
    let end = before[at + 1..].find("\n[[").map_or(before.len(), |e| at + 1 + e);
    let without = format!("{}{}", &before[..at], &before[end..].trim_start_matches('\n'));
    assert!(!without.contains("kommunikatsiya"), "{without}");

    let (s, v) = app.post_toml("/api/v1/regulation/plan", &without).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["errors"][0]["msg"]["code"], "regulation_stage_holds_deals", "{v}");
    assert_eq!(v["data"]["errors"][0]["msg"]["args"], json!({"stage": "Коммуникация", "n": 1}));
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &without).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["message_code"], "regulation_stage_holds_deals", "{v}");
    assert_eq!(app.export_text().await, before, "refused: nothing removed");

    let q = "?move=klienty/kommunikatsiya:prinyal_v_rabotu";
    let (s, v) = app.post_toml(&format!("/api/v1/regulation/plan{q}"), &without).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["errors"], json!([]), "{v}");
    assert_eq!(v["data"]["impacts"][0]["msg"]["code"], "regulation_impact_move_deals", "{v}");
    let (s, v) = app.post_toml(&format!("/api/v1/regulation/apply{q}"), &without).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, d) = app.get(&app.t.admin, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(d["data"]["stage_id"], app.ids.stages[1], "the deal moved to the target stage");
    assert_eq!(app.export_text().await.trim_end(), without.trim_end());
}

async fn a_failing_item_late_in_the_file_leaves_the_database_unchanged(app: TestApp) {
    let before = app.export_text().await;
    let bad = before.replace("name = \"Новый\"", "name = \"Новый лид\"")
        + "\n[[pipeline]]\nkey = \"partners\"\nname = \"Партнёры\"\n\n[[pipeline.stage]]\nkey = \"first\"\nname = \"Первый контакт\"\n"
        + "\n[[field]]\nentity = \"deal\"\nkey = \"region\"\nlabel = \"Регион\"\ntype = \"text\"\n"
        + "\n[[rule]]\nkey = \"bad\"\nname = \"Плохое\"\nentity = \"deal\"\nexpression = \"regoin is empty\"\n";
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "rule.bad.expression", "{v}");
    assert_eq!(v["error"]["message_code"], "regulation_expression", "{v}");
    assert_eq!(v["error"]["position"]["line"], line_of(&bad, "key = \"bad\""), "{v}");
    assert_eq!(app.export_text().await, before, "no partial apply");
    let (_, p) = app.get(&app.t.admin, "/api/v1/pipelines").await;
    assert_eq!(p["data"].as_array().unwrap().len(), 1, "the new pipeline was not kept: {p}");
    let (_, v) = app.get(&app.t.admin, "/api/v1/regulation/versions").await;
    assert!(v["data"].as_array().unwrap().len() <= 1, "no version for a refused apply: {v}");
    // The plan of the same file names the same refusal, and the right spelling applies.
    let (_, v) = app.post_toml("/api/v1/regulation/plan", &bad).await;
    assert_eq!(v["data"]["errors"][0]["path"], "rule.bad.expression", "{v}");
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &bad.replace("regoin", "region")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn only_administrators_read_and_apply_the_regulation(app: TestApp) {
    let text = app.export_text().await;
    for token in [&app.t.manager1, &app.t.head, &app.t.analyst] {
        let (s, _) = app.text(token, reqwest::Method::GET, "/api/v1/regulation", None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.text(token, reqwest::Method::POST, "/api/v1/regulation/apply", Some(text.clone())).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    // Another workspace's administrator exports their own regulation, never this one.
    let (s, other) = app.text(&app.t.other_admin, reqwest::Method::GET, "/api/v1/regulation", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(other.contains("Чужая воронка") && !other.contains("Клиенты"), "{other}");
}

async fn an_edited_assistant_setting_and_scorecard_plan_as_exactly_that_and_apply(app: TestApp) {
    let text = app.export_text().await;
    let with = format!(
        "{text}\n[[assistant]]\nname = \"forgotten\"\nenabled = true\n\n[assistant.settings]\ndays = 45\n\n\
         [scorecard]\nname = \"Оценка звонка\"\n\n[[scorecard.criterion]]\nkey = \"greeting\"\nstep = \"contact\"\n\
         title = \"Поздоровался\"\n\n[[scorecard.criterion]]\nkey = \"price\"\nstep = \"presentation\"\ntitle = \"Назвал цену\"\n\
         points = [0, 1]\ncritical = true\n"
    );
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &with).await;
    assert_eq!((s, v["data"]["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{v}");
    let exported = app.export_text().await;
    assert!(exported.contains("[assistant.settings]") && exported.contains("days = 45"), "{exported}");
    let (_, card) = app.get(&app.t.admin, "/api/v1/reviews/scorecard").await;
    let version = card["data"]["version"].as_i64().unwrap_or_else(|| panic!("{card}"));
    assert_eq!(card["data"]["criteria"][1]["critical"], json!(true), "{card}");

    // One setting edited: the plan lists exactly it, and the apply writes it.
    let edited = exported.replacen("days = 45", "days = 30", 1);
    let (s, v) = app.post_toml("/api/v1/regulation/plan", &edited).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let changes = &v["data"]["changes"];
    assert_eq!(
        changes,
        &json!([{"section": "assistant", "key": "forgotten", "name": "forgotten", "kind": "changed",
                 "fields": [{"field": "settings.days", "old": "45", "new": "30"}]}]),
        "{v}"
    );
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &edited).await;
    assert_eq!((s, v["data"]["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{v}");
    let (_, list) = app.get(&app.t.admin, "/api/v1/assistants").await;
    let f = list["data"].as_array().unwrap().iter().find(|a| a["name"] == "forgotten").unwrap().clone();
    assert_eq!((f["enabled"].as_bool(), f["settings"]["days"].as_i64()), (Some(true), Some(30)));
    let (_, card) = app.get(&app.t.admin, "/api/v1/reviews/scorecard").await;
    assert_eq!(card["data"]["version"].as_i64(), Some(version), "an unchanged scorecard gets no new version");

    // A criterion's weight: a new scorecard version.
    let weighted =
        edited.replacen("title = \"Назвал цену\"\npoints = [0, 1]\nweight = 1", "title = \"Назвал цену\"\npoints = [0, 1]\nweight = 3", 1);
    assert_ne!(weighted, edited, "{edited}");
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &weighted).await;
    assert_eq!((s, v["data"]["changes"][0]["fields"][0]["field"].as_str()), (StatusCode::OK, Some("criterion.price")), "{v}");
    let (_, card) = app.get(&app.t.admin, "/api/v1/reviews/scorecard").await;
    assert_eq!((card["data"]["version"].as_i64(), &card["data"]["criteria"][1]["weight"]), (Some(version + 1), &json!(3)), "{card}");

    // A bad setting is refused with its line, and nothing changes.
    let bad = weighted.replacen("days = 30", "days = 0", 1);
    let (s, v) = app.post_toml("/api/v1/regulation/plan", &bad).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let e = &v["data"]["errors"][0];
    assert_eq!(
        (e["path"].as_str(), e["line"].as_u64()),
        (Some("assistant.forgotten.settings.days"), Some(line_of(&bad, "days = 0") as u64)),
        "{v}"
    );
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &bad).await;
    assert!(s.is_client_error(), "{v}");
    assert_eq!(v["error"]["position"]["errors"][0]["path"], "assistant.forgotten.settings.days", "{v}");
    assert_eq!(app.export_text().await, weighted);
}

/// Ids differ between workspaces, e-mails do not: the file names a release pool's users by
/// e-mail, applies them as the users of this workspace, and refuses one nobody here has.
async fn a_release_pool_is_named_by_email_in_the_file(app: TestApp) {
    let pool = json!({"enabled": true, "settings": {"mode": "pool", "pool": [app.ids.manager2]}});
    let (s, v) = app.patch(&app.t.admin, "/api/v1/assistants/release", pool).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let exported = app.export_text().await;
    assert!(exported.contains("pool = [\"m2@a.test\"]"), "{exported}");

    let to_m3 = exported.replacen("pool = [\"m2@a.test\"]", "pool = [\"M3@a.test\"]", 1);
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &to_m3).await;
    assert_eq!((s, v["data"]["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{v}");
    let (_, list) = app.get(&app.t.admin, "/api/v1/assistants").await;
    let release = list["data"].as_array().unwrap().iter().find(|a| a["name"] == "release").unwrap().clone();
    assert_eq!(release["settings"]["pool"], json!([app.ids.manager3]), "{release}");
    assert!(app.export_text().await.contains("pool = [\"m3@a.test\"]"));

    let stranger = exported.replacen("pool = [\"m2@a.test\"]", "pool = [\"nobody@a.test\"]", 1);
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &stranger).await;
    assert!(s.is_client_error(), "{v}");
    let e = &v["error"]["position"]["errors"][0];
    assert_eq!(e["path"], "assistant.release.settings.pool", "{v}");
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("nobody@a.test"), "{v}");
    let (_, list) = app.get(&app.t.admin, "/api/v1/assistants").await;
    let kept = list["data"].as_array().unwrap().iter().find(|a| a["name"] == "release").unwrap().clone();
    assert_eq!(kept["settings"]["pool"], json!([app.ids.manager3]), "a refused apply changes nothing");
}

/// The bonus split by role is part of a pipeline in the file: exported, changed, checked with
/// its line, and removed.
async fn a_pipelines_bonus_split_is_in_the_file(app: TestApp) {
    let path = format!("/api/v1/pipelines/{}/bonus_split", app.ids.pipeline);
    let split = json!({"basis": "revenue", "shares": {"manager": 5, "consultant": "12,5"}});
    let (s, v) = app.call(reqwest::Method::PUT, &app.t.admin, &path, Some(split)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let exported = app.export_text().await;
    assert!(exported.contains("[pipeline.bonus]\nbasis = \"revenue\"\nmanager = 5\nconsultant = 12.5\n"), "{exported}");

    let changed = exported.replacen("manager = 5\nconsultant = 12.5\n", "manager = 7\nconsultant = 12.5\nhead = 1\n", 1);
    assert_ne!(changed, exported);
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &changed).await;
    assert_eq!((s, v["data"]["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{v}");
    let (_, v) = app.get(&app.t.admin, &path).await;
    assert_eq!(v["data"]["shares"], json!({"manager": "7", "consultant": "12.5", "head": "1"}), "{v}");
    assert_eq!(app.export_text().await, changed);

    let over = changed.replacen("manager = 7\n", "manager = 90\n", 1);
    let (s, v) = app.post_toml("/api/v1/regulation/plan", &over).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let e = &v["data"]["errors"][0];
    assert_eq!(e["path"].as_str(), Some(format!("pipeline.{}.bonus.shares", key_of_pipeline(&changed)).as_str()), "{v}");
    assert!(e["line"].as_u64().is_some(), "{v}");
    let (s, _) = app.post_toml("/api/v1/regulation/apply", &over).await;
    assert!(s.is_client_error());

    let without = changed.replacen("[pipeline.bonus]\nbasis = \"revenue\"\nmanager = 7\nconsultant = 12.5\nhead = 1\n", "", 1);
    assert_ne!(without, changed);
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &without).await;
    assert_eq!((s, v["data"]["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{v}");
    let (_, v) = app.get(&app.t.admin, &path).await;
    assert_eq!(v["data"]["configured"], json!(false), "the pipeline pays no bonus: {v}");
}

/// The key of the first pipeline in an exported file.
fn key_of_pipeline(file: &str) -> String {
    let at = file.find("[[pipeline]]").unwrap();
    let line = file[at..].lines().find(|l| l.starts_with("key = ")).unwrap();
    line.trim_start_matches("key = ").trim_matches('"').to_string()
}

/// More deals than one batch of the move (200): every one lands on the target stage with its
/// history event and the target stage's entry task, in the apply's one transaction.
async fn hundreds_of_deals_of_a_removed_stage_move_with_their_history_and_the_target_stages_regulation(app: TestApp) {
    use poryadok_core::schema::Entity;
    use poryadok_store::ListQuery;
    let sys = app.db.system_actor(app.ws, Channel::Cli).await.unwrap();
    let (from, to) = (app.ids.stages[2], app.ids.stages[1]);
    let mut deals = Vec::new();
    for i in 0..250 {
        let body = json!({"title": format!("Сделка {i}"), "pipeline_id": app.ids.pipeline, "stage_id": from});
        deals.push(app.db.create(&sys, poryadok_core::schema::Entity::Deal, &body).await.unwrap().id());
    }
    let mut file = poryadok_core::regulation_file::parse(&app.export_text().await).unwrap();
    let p = file.pipelines.iter_mut().find(|p| p.stages.iter().any(|s| s.key == "kommunikatsiya")).unwrap();
    p.stages.retain(|s| s.key != "kommunikatsiya");
    let target = p.stages.iter_mut().find(|s| s.key == "prinyal_v_rabotu").unwrap();
    target.entry_tasks.push(poryadok_core::regulation_file::EntryTaskSpec {
        kind: "call".into(),
        subject: "Позвонить после переноса".into(),
        description: String::new(),
        due: poryadok_core::regulation_file::DurationSpec { amount: 1, unit: "days".into() },
        assignee: "owner".into(),
    });
    let (pkey, text) = (p.key.clone(), file.to_toml());
    let (s, v) = app.post_toml(&format!("/api/v1/regulation/apply?move={pkey}/kommunikatsiya:prinyal_v_rabotu"), &text).await;
    assert_eq!((s, v["data"]["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{v}");

    let on =
        |stage: i64| ListQuery { limit: Some("500".into()), filters: vec![("stage_id".into(), stage.to_string())], ..Default::default() };
    let moved = app.db.list(&sys, Entity::Deal, &on(to)).await.unwrap().data;
    let moved: Vec<i64> = moved.iter().map(|d| d.id()).filter(|id| deals.contains(id)).collect();
    assert_eq!(moved.len(), deals.len(), "every deal is on the target stage");
    assert!(app.db.list(&sys, Entity::Deal, &on(from)).await.unwrap().data.is_empty(), "none is left on the removed stage");
    // The deal of the first batch, the first of the second and the last: each has its history
    // event of the move and its entry task.
    for id in [deals[0], deals[200], deals[249]] {
        let (_, h) = app.get(&app.t.admin, &format!("/api/v1/deals/{id}/history")).await;
        let ev = &h["data"][0];
        assert_eq!((ev["action"].as_str(), &ev["changes"]["stage_id"]), (Some("update"), &json!({"from": from, "to": to})), "{h}");
    }
    let tasks =
        ListQuery {
            limit: Some("500".into()), filters: vec![("subject".into(), "Позвонить после переноса".into())], ..Default::default()
        };
    let tasks = app.db.list(&sys, Entity::Activity, &tasks).await.unwrap().data;
    assert_eq!(tasks.len(), deals.len(), "the target stage's entry task for each deal moved");
    let (_, d) = app.get(&app.t.admin, &format!("/api/v1/deals/{}", deals[249])).await;
    assert_eq!(d["data"]["version"], json!(2), "one write of the deal: {d}");
}

/// An assistant's settings changed in its settings screen: a history event of the assistant
/// (exported with the workspace) and a version of the regulation with its author and the diff.
async fn an_assistants_settings_change_is_a_history_event_and_a_version_of_the_regulation(app: TestApp) {
    let (s, v) = app.patch(&app.t.admin, "/api/v1/assistants/forgotten", json!({"enabled": true, "settings": {"days": 40}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.patch(&app.t.admin, "/api/v1/assistants/forgotten", json!({"settings": {"days": 35}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.patch(&app.t.admin, "/api/v1/assistants/forgotten", json!({"settings": {"days": 35}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let (_, versions) = app.get(&app.t.admin, "/api/v1/regulation/versions").await;
    let latest = &versions["data"][0];
    assert_eq!(latest["author_id"], json!(app.ids.admin), "{versions}");
    let n = latest["version"].as_i64().unwrap();
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/regulation/versions/{n}?format=json")).await;
    assert_eq!(
        v["data"]["diff"],
        json!([{"section": "assistant", "key": "forgotten", "name": "forgotten", "kind": "changed",
                "fields": [{"field": "settings.days", "old": "40", "new": "35"}]}]),
        "{versions} {v}"
    );

    let sheets = app.db.export_sheets(app.ws).await.unwrap();
    let history = sheets.iter().find(|s| s.name == "history").unwrap();
    let col = |name: &str| history.headers.iter().position(|h| h == name).unwrap();
    let events: Vec<&Vec<Value>> = history.rows.iter().filter(|r| r[col("entity")] == "assistant").collect();
    assert_eq!(events.len(), 2, "one event per change, none for a save that changes nothing");
    let changes = |r: &Vec<Value>| -> Value {
        let c = &r[col("changes")];
        c.as_str().map(|s| serde_json::from_str(s).unwrap()).unwrap_or_else(|| c.clone())
    };
    let last = changes(events[1]);
    assert_eq!(last["settings"]["from"]["days"], 40, "{last}");
    assert_eq!(last["settings"]["to"]["days"], 35, "{last}");
    assert_eq!((last["name"].as_str(), last.get("enabled")), (Some("forgotten"), None), "{last}");
    assert_eq!(events[0][col("action")], "create", "{:?}", events[0]);
}

/// The call-review sampling settings: exported once they exist, diffed value by value, applied
/// with a history event, refused with their line when out of range, kept when the file has none.
async fn the_call_review_sampling_is_in_the_file(app: TestApp) {
    let body = json!({"inbound_pct": 20, "outbound_pct": 7.5, "min_seconds": 45, "seed": 77, "lost_deals": true});
    let (s, v) = app.patch(&app.t.admin, "/api/v1/reviews/settings", body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let text = app.export_text().await;
    let section = "[review_sampling]\ninbound_pct = 20.0\noutbound_pct = 7.5\nmin_seconds = 45\nseed = 77\nlost_deals = true\n";
    assert!(text.contains(section), "{text}");

    let edited = text.replacen("min_seconds = 45", "min_seconds = 90", 1).replacen("inbound_pct = 20.0", "inbound_pct = 12.5", 1);
    let (s, v) = app.post_toml("/api/v1/regulation/plan", &edited).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["data"]["changes"],
        json!([{"section": "review_sampling", "key": "review_sampling", "name": "", "kind": "changed", "fields": [
            {"field": "inbound_pct", "old": "20.0", "new": "12.5"}, {"field": "min_seconds", "old": "45", "new": "90"}]}]),
        "{v}"
    );
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &edited).await;
    assert_eq!((s, v["data"]["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{v}");
    let (_, r) = app.get(&app.t.admin, "/api/v1/reviews/settings").await;
    assert_eq!((r["data"]["inbound_pct"].as_f64(), r["data"]["min_seconds"].as_i64()), (Some(12.5), Some(90)), "{r}");
    assert_eq!(app.export_text().await, edited);

    let sheets = app.db.export_sheets(app.ws).await.unwrap();
    let history = sheets.iter().find(|s| s.name == "history").unwrap();
    let col = |name: &str| history.headers.iter().position(|h| h == name).unwrap();
    let events = history.rows.iter().filter(|r| r[col("entity")] == "review_settings").count();
    assert_eq!(events, 2, "the queue page's change and the apply's");

    let bad = edited.replacen("outbound_pct = 7.5", "outbound_pct = 140.0", 1);
    let (s, v) = app.post_toml("/api/v1/regulation/plan", &bad).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let e = &v["data"]["errors"][0];
    assert_eq!(
        (e["path"].as_str(), e["line"].as_u64(), e["msg"]["code"].as_str()),
        (Some("review_sampling.outbound_pct"), Some(line_of(&bad, "outbound_pct = 140.0") as u64), Some("review_sample_pct")),
        "{v}"
    );
    let unknown = edited.replacen("lost_deals = true", "lost_deals = true\nshare = 3", 1);
    let (s, v) = app.post_toml("/api/v1/regulation/apply", &unknown).await;
    assert!(s.is_client_error(), "{v}");

    // A file without the section leaves the settings as they are.
    let without = edited.replace(&section.replace("20.0", "12.5").replace("45", "90"), "");
    assert!(!without.contains("review_sampling"), "{without}");
    let (s, v) = app.post_toml("/api/v1/regulation/plan", &without).await;
    assert_eq!((s, &v["data"]["changes"]), (StatusCode::OK, &json!([])), "{v}");
}
