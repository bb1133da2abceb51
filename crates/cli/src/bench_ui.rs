//! Server-side render time of the web UI's heaviest pages, in process: the board of a pipeline
//! with 5,000 open deals (as the page shows it, and with every card), and a deal card whose
//! timeline holds 500 entries. Timed from the handler's call to the last byte of HTML, so the
//! queries, the template and the body are all inside; the network is not.
use anyhow::{Context, Result};
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_server::ui::board::{render_board, BoardParams};
use poryadok_server::ui::i18n::{Lang, T};
use poryadok_server::ui::Ui;
use poryadok_server::AppState;
use poryadok_store::workspace::NewWorkspace;
use poryadok_store::Db;
use serde_json::json;

pub const BOARD_DEALS: usize = 5_000;
pub const TIMELINE_ENTRIES: usize = 500;

async fn body_len(resp: axum::response::Response) -> Result<usize> {
    anyhow::ensure!(resp.status().is_success(), "the page answered {}", resp.status());
    Ok(axum::body::to_bytes(resp.into_body(), usize::MAX).await?.len())
}

pub async fn run(db: &Db, iterations: usize) -> Result<()> {
    let started = std::time::Instant::now();
    let ws = db.create_workspace(&NewWorkspace { name: "UI benchmark".into(), ..Default::default() }).await?;
    let sys = db.system_actor(ws.id, Channel::Cli).await?;
    let head = db
        .create(&sys, Entity::User, &json!({"email": format!("ui-bench-{}@bench.local", ws.id), "name": "Руководитель", "role": "head"}))
        .await?;
    let pipeline = db.create(&sys, Entity::Pipeline, &json!({"name": "Клиенты"})).await?.id();
    let mut stages = Vec::new();
    for (i, name) in ["Новый", "Принял в работу", "Коммуникация", "Проведено демо", "Отправлено КП", "Договор"].iter().enumerate()
    {
        stages.push(db.create(&sys, Entity::Stage, &json!({"pipeline_id": pipeline, "name": name, "rotting_days": 7 + i})).await?.id());
    }
    let mut orgs = Vec::new();
    for i in 0..500 {
        orgs.push(
            db.create(&sys, Entity::Organization, &json!({"name": format!("ООО «Компания {i}»"), "owner_id": head.id()})).await?.id(),
        );
    }
    let mut deals = Vec::with_capacity(BOARD_DEALS);
    for i in 0..BOARD_DEALS {
        let body = json!({
            "title": format!("Сделка {i} — внедрение"), "value": 1_000_000 + (i as i64 % 97) * 100_000,
            "pipeline_id": pipeline, "stage_id": stages[i % stages.len()], "organization_id": orgs[i % orgs.len()], "owner_id": head.id(),
        });
        deals.push(db.create(&sys, Entity::Deal, &body).await?.id());
    }
    for (i, deal) in deals.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let due = poryadok_core::types::format_ms(db.clock.now_ms() + (i as i64 % 20 - 5) * 86_400_000);
        db.create(
            &sys,
            Entity::Activity,
            &json!({"type": "task", "subject": "Перезвонить", "deal_id": deal, "due_at": due, "owner_id": head.id()}),
        )
        .await?;
    }
    let card = deals[0];
    let (notes, calls, changes) = (TIMELINE_ENTRIES * 2 / 5, TIMELINE_ENTRIES / 5, TIMELINE_ENTRIES * 2 / 5);
    for i in 0..notes {
        db.create(&sys, Entity::Note, &json!({"content": format!("Заметка {i}: клиент просил перезвонить после обеда"), "deal_id": card}))
            .await?;
    }
    for i in 0..calls {
        let body = json!({"type": "call", "subject": "+7 999 123-45-67", "deal_id": card, "done": true, "call_direction": "inbound",
                          "phone": "+79991234567", "recording_url": format!("https://records.example/{i}.mp3"), "duration_min": 3});
        db.create(&sys, Entity::Activity, &body).await?;
    }
    for i in 0..changes {
        db.update(&sys, Entity::Deal, card, &json!({"value": 2_000_000 + i as i64 * 100})).await?;
    }
    eprintln!("ui bench: workspace with {BOARD_DEALS} open deals and a {TIMELINE_ENTRIES}-entry card made in {:.1?}", started.elapsed());

    let actor = db.actor_for_user(head.id(), Channel::Ui).await?;
    let state = AppState::new(db.clone());
    let ui = Ui { actor, csrf: "bench".into(), t: T::new(Lang::Ru), htmx: false, unread: 0 };
    let page = || BoardParams { pipeline: Some(pipeline), ..BoardParams::default() };
    let (b50, b99) = crate::bench::time(iterations, || async { body_len(render_board(&state, &ui, page()).await).await }).await?;
    let bytes = body_len(render_board(&state, &ui, page()).await).await?;
    println!(
        "{}",
        json!({"name": "ui_board", "unit": "ms", "median": b50, "p99": b99, "deals": BOARD_DEALS, "html_bytes": bytes,
                          "note": "the page as shown: every column's count and total, the first 50 cards of each"})
    );
    let all = || BoardParams { pipeline: Some(pipeline), cards: Some(BOARD_DEALS as u64), ..BoardParams::default() };
    let (a50, a99) = crate::bench::time(iterations.min(10), || async { body_len(render_board(&state, &ui, all()).await).await }).await?;
    let bytes = body_len(render_board(&state, &ui, all()).await).await?;
    println!(
        "{}",
        json!({"name": "ui_board_all", "unit": "ms", "median": a50, "p99": a99, "deals": BOARD_DEALS, "html_bytes": bytes,
                          "note": "every one of the 5,000 cards rendered"})
    );
    let card_page = || poryadok_server::ui::card::render_deal_card(&state, &ui, card);
    let (c50, c99) = crate::bench::time(iterations, || async { body_len(card_page().await).await }).await?;
    let bytes = body_len(card_page().await).await.context("deal card")?;
    println!("{}", json!({"name": "ui_card", "unit": "ms", "median": c50, "p99": c99, "timeline": TIMELINE_ENTRIES, "html_bytes": bytes}));
    Ok(())
}
