//! Closed vocabularies of the domain. Each enum has one spelling on the wire and in storage.

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($s),+];
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// What a user is in the sales department; decides what they see and may change.
    Role {
        Admin = "admin",
        Head = "head",
        Manager = "manager",
        Consultant = "consultant",
        PartnerManager = "partner_manager",
        Analyst = "analyst",
    }
);

impl Role {
    /// Heads, admins and analysts see every record of the workspace whatever its visibility setting.
    pub fn sees_all(self) -> bool {
        matches!(self, Role::Admin | Role::Head | Role::Analyst)
    }
    /// Analysts read; they change nothing.
    pub fn can_write_records(self) -> bool {
        !matches!(self, Role::Analyst)
    }
    /// Settings (users, teams, the workspace, integrations) are the administrator's.
    pub fn can_manage_settings(self) -> bool {
        matches!(self, Role::Admin)
    }
    /// The sales regulation (pipelines, stages with their required fields, naming, entry tasks
    /// and SLAs, custom fields) is the head of sales' to configure, and the administrator's.
    pub fn can_configure_regulation(self) -> bool {
        matches!(self, Role::Admin | Role::Head)
    }
}

string_enum!(
    /// Workspace setting: which records managers and consultants see.
    Visibility { Own = "own", Team = "team", All = "all" }
);

string_enum!(
    /// Where a deal is: open in the funnel, closed as won or lost, frozen until a return date, or
    /// closed as not a lead (a wrong number, a vendor, spam), which takes it out of the funnel,
    /// the reports and the hygiene rules.
    DealStatus { Open = "open", Won = "won", Lost = "lost", Frozen = "frozen", NotLead = "not_lead" }
);

string_enum!(ActivityType {
    Task = "task",
    Call = "call",
    Meeting = "meeting",
    Email = "email",
    Demo = "demo",
    Deadline = "deadline",
    Lunch = "lunch",
});

string_enum!(CallDirection { Inbound = "inbound", Outbound = "outbound" });
string_enum!(CallOutcome { Answered = "answered", Missed = "missed", Busy = "busy", Failed = "failed" });

string_enum!(
    /// Type of a custom field; values are validated by it on every write.
    CustomFieldType {
        Text = "text",
        Number = "number",
        Money = "money",
        Date = "date",
        Enum = "enum",
        Bool = "bool",
        Url = "url",
        User = "user",
        Organization = "organization",
    }
);

// Ways to reach a person; `telegram_id` is a Telegram user's numeric id, learnt from the bot's updates.
string_enum!(IdentityKind {
    Phone = "phone",
    Email = "email",
    Telegram = "telegram",
    Whatsapp = "whatsapp",
    TelegramId = "telegram_id",
});

string_enum!(
    /// Where a change came from; written into every history event.
    Channel { Api = "api", Ui = "ui", Cli = "cli", Demo = "demo", System = "system", Intake = "intake", Assistant = "assistant", Import = "import" }
);

string_enum!(HistoryAction { Create = "create", Update = "update", Delete = "delete" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        for s in Role::ALL {
            assert_eq!(Role::parse(s).map(Role::as_str), Some(*s));
        }
        assert_eq!(Role::parse("boss"), None);
        assert!(Role::Head.sees_all());
        assert!(!Role::Manager.sees_all());
    }
}
