//! Schema migrations, run on start and by `poryadok migrate`. Each migration is plain SQL shared by
//! both backends; the dialect differences (the auto-increment key, byte-order text) are substituted
//! here. A migration that computes rows (the search words of existing records) is Rust.
use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Sql { name: "m0001_init", up: include_str!("m0001_init.sql") }),
            Box::new(Sql { name: "m0002_saved_filters", up: include_str!("m0002_saved_filters.sql") }),
            Box::new(Sql { name: "m0003_jobs", up: include_str!("m0003_jobs.sql") }),
            Box::new(Sql { name: "m0004_notifications", up: include_str!("m0004_notifications.sql") }),
            Box::new(Sql { name: "m0005_regulation", up: include_str!("m0005_regulation.sql") }),
            Box::new(Sql { name: "m0006_audit", up: include_str!("m0006_audit.sql") }),
            Box::new(Sql { name: "m0007_intake", up: include_str!("m0007_intake.sql") }),
            Box::new(Sql { name: "m0008_assistants", up: include_str!("m0008_assistants.sql") }),
            Box::new(Sql { name: "m0009_auth_hardening", up: include_str!("m0009_auth_hardening.sql") }),
            Box::new(Sql { name: "m0010_record_versions", up: include_str!("m0010_record_versions.sql") }),
            Box::new(Sql { name: "m0011_search", up: include_str!("m0011_search.sql") }),
            Box::new(SearchBackfill),
            Box::new(Sql { name: "m0013_list_totals", up: include_str!("m0013_list_totals.sql") }),
            Box::new(Sql { name: "m0014_not_lead", up: include_str!("m0014_not_lead.sql") }),
            Box::new(Sql { name: "m0015_stage_stays", up: include_str!("m0015_stage_stays.sql") }),
            Box::new(StageStaysBackfill),
            Box::new(Sql { name: "m0017_report_indexes", up: include_str!("m0017_report_indexes.sql") }),
            Box::new(Sql { name: "m0018_plans", up: include_str!("m0018_plans.sql") }),
            Box::new(Sql { name: "m0019_stage_time_index", up: include_str!("m0019_stage_time_index.sql") }),
            Box::new(Sql { name: "m0020_report_subscriptions", up: include_str!("m0020_report_subscriptions.sql") }),
            Box::new(Sql { name: "m0021_marketing", up: include_str!("m0021_marketing.sql") }),
            Box::new(Sql { name: "m0022_dashboard_indexes", up: include_str!("m0022_dashboard_indexes.sql") }),
            Box::new(Sql { name: "m0023_pipedrive_webhooks", up: include_str!("m0023_pipedrive_webhooks.sql") }),
            Box::new(Sql { name: "m0024_list_by_id", up: include_str!("m0024_list_by_id.sql") }),
            Box::new(Sql { name: "m0025_imports", up: include_str!("m0025_imports.sql") }),
            Box::new(Sql { name: "m0027_person_contacts", up: include_str!("m0027_person_contacts.sql") }),
            Box::new(Sql { name: "m0028_files_requisites", up: include_str!("m0028_files_requisites.sql") }),
            Box::new(Sql { name: "m0029_documents", up: include_str!("m0029_documents.sql") }),
            Box::new(Sql { name: "m0030_import_lookups", up: include_str!("m0030_import_lookups.sql") }),
            Box::new(Sql { name: "m0031_calendar_mentions", up: include_str!("m0031_calendar_mentions.sql") }),
            Box::new(Sql { name: "m0033_replies", up: include_str!("m0033_replies.sql") }),
            Box::new(ChannelAliasDefaults),
            Box::new(Sql { name: "m0032_team", up: include_str!("m0032_team.sql") }),
            Box::new(Sql { name: "m0034_regulation_versions", up: include_str!("m0034_regulation_versions.sql") }),
            Box::new(Sql { name: "m0035_knowledge_base", up: include_str!("m0035_knowledge_base.sql") }),
            Box::new(Sql { name: "m0036_quizzes", up: include_str!("m0036_quizzes.sql") }),
            Box::new(Sql { name: "m0037_regulation_document", up: include_str!("m0037_regulation_document.sql") }),
            Box::new(Sql { name: "m0038_review_lost_deals", up: include_str!("m0038_review_lost_deals.sql") }),
            Box::new(Sql { name: "m0040_bonus_splits", up: include_str!("m0040_bonus_splits.sql") }),
            Box::new(Sql { name: "m0042_client_notify", up: include_str!("m0042_client_notify.sql") }),
            Box::new(Sql { name: "m0043_deal_day_stats", up: include_str!("m0043_deal_day_stats.sql") }),
            Box::new(DealStatsBackfill),
            Box::new(SettingsVersion),
            Box::new(Sql { name: "m0045_user_timezone", up: include_str!("m0045_user_timezone.sql") }),
            Box::new(Sql { name: "m0046_open_tasks_by_owner", up: include_str!("m0046_open_tasks_by_owner.sql") }),
            Box::new(Sql { name: "m0048_quiz_limits", up: include_str!("m0048_quiz_limits.sql") }),
            Box::new(Sql { name: "m0049_product_sku", up: include_str!("m0049_product_sku.sql") }),
        ]
    }
}

struct Sql {
    name: &'static str,
    up: &'static str,
}

impl MigrationName for Sql {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Sql {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let (id, binary) = match db.get_database_backend() {
            DbBackend::Postgres => ("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "COLLATE \"C\""),
            _ => ("INTEGER PRIMARY KEY", ""),
        };
        let sql: Vec<&str> = self.up.lines().filter(|l| !l.trim_start().starts_with("--")).collect();
        for stmt in sql.join("\n").replace("{ID}", id).replace("{BINARY}", binary).split(';') {
            if !stmt.trim().is_empty() {
                db.execute_unprepared(stmt).await?;
            }
        }
        Ok(())
    }
}

/// The settings version and the triggers that change it (see [`crate::settings_cache`]): plain
/// SQL, but trigger bodies hold semicolons and differ between the backends.
struct SettingsVersion;

impl MigrationName for SettingsVersion {
    fn name(&self) -> &str {
        "m0044_settings_version"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SettingsVersion {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for stmt in crate::settings_cache::migration(db.get_database_backend()) {
            db.execute_unprepared(&stmt).await?;
        }
        Ok(())
    }
}

/// Indexes the records that existed before global search: their words go into `search_terms`
/// through the same function the write path uses.
struct SearchBackfill;

impl MigrationName for SearchBackfill {
    fn name(&self) -> &str {
        "m0012_search_backfill"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SearchBackfill {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::search::reindex_all(manager.get_connection()).await.map_err(|e| DbErr::Custom(e.to_string()))
    }
}

/// Fills the stage stays of the deals that existed before stage history, from their history.
struct StageStaysBackfill;

impl MigrationName for StageStaysBackfill {
    fn name(&self) -> &str {
        "m0016_stage_stays_backfill"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for StageStaysBackfill {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::stage_history::backfill_all(manager.get_connection(), None, &mut |_| {}).await.map_err(|e| DbErr::Custom(e.to_string()))
    }
}

/// Gives the workspaces that existed before channel aliases the built-in ones a new workspace
/// starts with ([`crate::marketing`]), dated as the workspace.
struct ChannelAliasDefaults;

impl MigrationName for ChannelAliasDefaults {
    fn name(&self) -> &str {
        "m0023_channel_alias_defaults"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ChannelAliasDefaults {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let q = sea_query::Query::select().columns([Alias::new("id"), Alias::new("created_at")]).from(Alias::new("workspaces")).to_owned();
        for r in db.query_all(backend.build(&q)).await? {
            let (id, created_at): (i64, i64) = (r.try_get("", "id")?, r.try_get("", "created_at")?);
            crate::marketing::seed_default_aliases(db, backend, id, created_at).await.map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        Ok(())
    }
}

/// Counts the deals that existed before the per-day aggregate into it, with the same function
/// `poryadok reports rebuild-aggregates` runs.
struct DealStatsBackfill;

impl MigrationName for DealStatsBackfill {
    fn name(&self) -> &str {
        "m0043_deal_day_stats_backfill"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for DealStatsBackfill {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::deal_stats::rebuild_all(manager.get_connection(), None, 0, &mut |_| {})
            .await
            .map(|_| ())
            .map_err(|e| DbErr::Custom(e.to_string()))
    }
}
