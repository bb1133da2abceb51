//! Persistence for SQLite and PostgreSQL from one code path: migrations, records with access
//! scoping and history, lists, accounts, workspaces and the demo data generator.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod activity_clock;
pub mod actor;
pub mod assistants;
pub mod audit;
pub mod auth;
pub mod bonus;
pub mod bulk;
pub mod calendar_feed;
pub mod channels;
pub mod click_to_call;
pub mod client_notify;
mod db;
pub mod deal_stats;
pub mod demo;
pub mod documents;
pub mod documents_demo;
pub mod dump;

pub mod error;
pub mod files;
pub mod filter_sql;
pub mod filters;
pub mod imports;
pub mod intake;
pub mod invoices;
pub mod jobs;
pub mod kb;
pub mod list;
pub mod live;
pub mod marketing;
pub mod mentions;
pub mod merge;
mod migration;
pub mod not_lead;
pub mod notifications;
pub mod own_smtp;

pub mod participants;
pub mod plans;
pub mod quiz;
pub mod records;
pub mod regulation;
pub mod regulation_doc;
pub mod regulation_file;
pub mod report;
pub mod reports;
pub mod requisites;
pub mod reviews;
mod rules;
pub mod search;
pub mod secrets;
mod serde_time;
pub(crate) mod settings_cache;
mod sql;
mod sqlite_fn;
pub mod stage_history;
pub mod tabular;
pub mod team;
pub mod timeline;
pub mod today;
pub mod views;
pub mod workspace;
pub mod writer;

pub use actor::{Actor, WorkspaceInfo};
pub use db::{DatabaseUrl, Db, SqliteCommit};
pub use error::{Result, StoreError};
pub use list::{ListQuery, ListTotals, Page};
pub use records::Row;
