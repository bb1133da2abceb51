//! The caller of a store operation: who, in which workspace, through which channel.
use poryadok_core::access::{Caller, Scope};
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_core::Lang;
use sea_query::{Expr, Query, SimpleExpr};

use crate::sql::col;

/// Workspace settings that store operations need.
#[derive(Debug, Clone)]
pub struct WorkspaceInfo {
    pub id: i64,
    pub name: String,
    pub currency: String,
    pub region: String,
    pub locale: String,
    pub timezone: String,
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub caller: Caller,
    pub ws: WorkspaceInfo,
    pub channel: Channel,
    /// The user's display name (empty for the system).
    pub user_name: String,
    /// The user's chosen interface language, if any; the workspace's locale applies otherwise.
    pub user_locale: Option<String>,
    /// The user's own time zone, if they set one; the workspace's applies otherwise.
    pub user_timezone: Option<String>,
}

impl Actor {
    pub fn ws_id(&self) -> i64 {
        self.caller.workspace_id
    }
    pub fn user_id(&self) -> i64 {
        self.caller.user_id
    }
    /// The language this caller reads: their own choice, then the workspace's.
    pub fn reader_lang(&self) -> Lang {
        Lang::for_reader(self.user_locale.as_deref(), &self.ws.locale)
    }
    /// The time zone this caller reads times in: their own, then the workspace's. Business
    /// hours, SLA clocks and the workspace's report periods stay in the workspace's zone.
    pub fn reader_tz(&self) -> &str {
        self.user_timezone.as_deref().unwrap_or(&self.ws.timezone)
    }
    /// The language of texts written into the workspace's records (task subjects, notes, titles).
    pub fn ws_lang(&self) -> Lang {
        Lang::from_locale(&self.ws.locale)
    }
    pub fn with_channel(mut self, channel: Channel) -> Self {
        self.channel = channel;
        self
    }
}

/// The condition that limits `entity`'s rows to those the caller may see, if any limit applies.
pub fn scope_condition(entity: Entity, caller: &Caller) -> Option<SimpleExpr> {
    let owner = entity.owner_field()?;
    if entity == Entity::SavedFilter {
        // A saved filter is its owner's, or shared with the whole workspace.
        return Some(Expr::col(col("owner_id")).eq(caller.user_id).or(Expr::col(col("shared")).eq(true)));
    }
    let own = match caller.scope() {
        Scope::All => return None,
        Scope::OwnedBy(user) => Expr::col(col(owner)).eq(user),
        Scope::Team { team_id, user_id } => {
            let members = Query::select()
                .column(col("id"))
                .from(col("users"))
                .and_where(Expr::col(col("workspace_id")).eq(caller.workspace_id))
                .and_where(Expr::col(col("team_id")).eq(team_id))
                .to_owned();
            Expr::col(col(owner)).in_subquery(members).or(Expr::col(col(owner)).eq(user_id))
        }
    };
    if entity != Entity::Deal {
        return Some(own);
    }
    // A deal handed to a consultant (or any colleague) as a participant is theirs to see and work.
    let taking_part = Query::select()
        .column(col("deal_id"))
        .from(col("deal_participants"))
        .and_where(Expr::col(col("workspace_id")).eq(caller.workspace_id))
        .and_where(Expr::col(col("user_id")).eq(caller.user_id))
        .to_owned();
    Some(own.or(Expr::col(col("id")).in_subquery(taking_part)))
}
