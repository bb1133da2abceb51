//! Poryadok's domain: the record schema, value types that parse rather than validate,
//! access decisions and the clock. Pure code: no I/O, no async, no database.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod access;
pub mod amount_words;
pub mod assistants;
pub mod attribution;
pub mod bonus;
pub mod calendar;
pub mod client_notify;
pub mod clock;
pub mod documents;
pub mod domain;
pub mod email;
pub mod error;
pub mod files;
pub mod filter;
pub mod hygiene;
pub mod import;
pub mod intake;
pub mod kb;
pub mod line_items;
pub mod meetings;
pub mod mentions;
pub mod msg;
pub mod password;
pub mod plan;
pub mod quiz;
pub mod regulation;
pub mod regulation_doc;
pub mod regulation_file;
pub mod report;
pub mod requisites;
pub mod review;
pub mod schedule;
pub mod schema;
pub mod search;
pub mod spend;
pub mod template;
pub mod translit;
pub mod types;
pub mod validate;
pub mod zone;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::FieldError;
pub use msg::{Lang, Msg};
pub use schema::{Entity, Field, Kind};
pub use types::Val;
