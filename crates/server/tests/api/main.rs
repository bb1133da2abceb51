//! All API tests in one binary: each test spawns the real server on port 0 with a fresh
//! database, once on SQLite and once on PostgreSQL (when PORYADOK_TEST_POSTGRES is set).
mod helpers;

mod access;
mod assistants;
mod audit;
mod auth;
mod browser;
mod browser_messages;
mod browser_records;
mod channels;
mod crud;
mod errors;
mod filters;
mod forms;
mod imap;
mod intake;
mod invoices;
mod jobs;
mod lists;
mod merge;
mod notifications;
mod openapi;
mod regulation;
mod reliability;
mod search;
mod security;
mod ui;
mod ui_assistants;
mod ui_audit;
mod ui_cards;
mod ui_intake;
mod ui_lists;
mod ui_moves;
mod ui_records;
mod ui_settings;
mod write_pipeline;
