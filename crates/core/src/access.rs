//! Who may see and change what. Decisions only; the store turns them into query conditions.
use crate::domain::{Role, Visibility};
use crate::schema::Entity;

/// The authenticated user on whose behalf a call runs.
#[derive(Debug, Clone)]
pub struct Caller {
    pub workspace_id: i64,
    pub user_id: i64,
    pub role: Role,
    pub team_id: Option<i64>,
    /// The workspace's visibility setting for managers and consultants.
    pub visibility: Visibility,
}

/// Which owned records a caller sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    OwnedBy(i64),
    /// Records owned by any member of this team (the caller included).
    Team {
        team_id: i64,
        user_id: i64,
    },
}

impl Caller {
    pub fn scope(&self) -> Scope {
        if self.role.sees_all() {
            return Scope::All;
        }
        match (self.visibility, self.team_id) {
            (Visibility::All, _) => Scope::All,
            (Visibility::Team, Some(team_id)) => Scope::Team { team_id, user_id: self.user_id },
            // A manager outside any team under "team" visibility sees only their own records.
            (Visibility::Team, None) | (Visibility::Own, _) => Scope::OwnedBy(self.user_id),
        }
    }

    /// Whether the caller may create, change or delete records of this entity at all.
    /// Record-level visibility is checked separately.
    pub fn may_write(&self, entity: Entity) -> Result<(), crate::msg::Msg> {
        if entity.is_regulation() {
            if self.role.can_configure_regulation() {
                Ok(())
            } else {
                Err(crate::msg::Common::RegulationHeadsOnly {}.into())
            }
        } else if entity.is_setting() {
            if self.role.can_manage_settings() {
                Ok(())
            } else {
                Err(crate::msg::Common::AdminOnly {}.into())
            }
        } else if self.role.can_write_records() {
            Ok(())
        } else {
            Err(crate::msg::Common::AnalystReadOnly {}.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, visibility: Visibility, team: Option<i64>) -> Caller {
        Caller { workspace_id: 1, user_id: 10, role, team_id: team, visibility }
    }

    #[test]
    fn heads_see_all_managers_follow_the_setting() {
        assert_eq!(caller(Role::Head, Visibility::Own, None).scope(), Scope::All);
        assert_eq!(caller(Role::Manager, Visibility::Own, Some(2)).scope(), Scope::OwnedBy(10));
        assert_eq!(caller(Role::Manager, Visibility::Team, Some(2)).scope(), Scope::Team { team_id: 2, user_id: 10 });
        assert_eq!(caller(Role::Consultant, Visibility::Team, None).scope(), Scope::OwnedBy(10));
        assert_eq!(caller(Role::Manager, Visibility::All, None).scope(), Scope::All);
    }

    #[test]
    fn settings_are_for_admins_and_the_regulation_also_for_heads() {
        assert!(caller(Role::Manager, Visibility::All, None).may_write(Entity::Pipeline).is_err());
        assert!(caller(Role::Admin, Visibility::All, None).may_write(Entity::Pipeline).is_ok());
        for entity in [Entity::Pipeline, Entity::Stage, Entity::CustomField] {
            assert!(caller(Role::Head, Visibility::All, None).may_write(entity).is_ok(), "{entity:?}");
            for role in [Role::Manager, Role::Consultant, Role::PartnerManager, Role::Analyst] {
                assert!(caller(role, Visibility::All, None).may_write(entity).is_err(), "{role:?} {entity:?}");
            }
        }
        for entity in [Entity::User, Entity::Team] {
            assert!(caller(Role::Head, Visibility::All, None).may_write(entity).is_err(), "{entity:?}");
            assert!(caller(Role::Admin, Visibility::All, None).may_write(entity).is_ok(), "{entity:?}");
        }
        assert!(caller(Role::Analyst, Visibility::All, None).may_write(Entity::Deal).is_err());
        assert!(caller(Role::Manager, Visibility::Own, None).may_write(Entity::Deal).is_ok());
    }
}
