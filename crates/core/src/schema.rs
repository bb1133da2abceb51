//! The record schema: every entity the API serves, its table and its fields with their kinds.
//! One description drives validation, storage, the JSON form and the OpenAPI document, so the
//! four can never disagree. Every table also has `workspace_id` and, where `soft_delete` says so,
//! `deleted_at`; neither is a field of the wire form.
use crate::domain::{ActivityType, CallDirection, CallOutcome, CustomFieldType, DealStatus, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Organization,
    Person,
    Deal,
    Activity,
    Note,
    Pipeline,
    Stage,
    User,
    Team,
    CustomField,
    SavedFilter,
}

/// How a field may be written through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Set by the system (ids, timestamps, derived values).
    ReadOnly,
    /// Given on create, fixed afterwards.
    CreateOnly,
    ReadWrite,
    /// Accepted on writes, never returned (passwords).
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Id,
    /// Single-line text up to this many characters.
    Text(usize),
    /// Multi-line text up to this many characters.
    LongText(usize),
    Enum(&'static [&'static str]),
    Int {
        min: i64,
        max: i64,
    },
    /// Integer minor units (kopecks, cents).
    Money,
    Currency,
    Bool,
    /// `YYYY-MM-DD`.
    Date,
    /// Stored as Unix ms, RFC 3339 on the wire.
    Timestamp,
    Ref(Entity),
    Email,
    Phone,
    Url,
    /// The `custom` object: values checked against the workspace's custom field definitions.
    Custom,
    /// A JSON array of strings (enum options).
    StringList,
    /// A JSON array of phones beyond the main one, each stored like [`Kind::Phone`].
    PhoneList,
    /// A JSON array of e-mail addresses beyond the main one, each stored like [`Kind::Email`].
    EmailList,
    /// Hashed with argon2 into `password_hash`; never stored or returned in clear.
    Password,
    /// A lower-case identifier: letters, digits, `_`, starting with a letter.
    Key,
    /// A structured setting stored as JSON, checked by its own parser.
    Json(JsonShape),
}

/// Which parser checks a [`Kind::Json`] value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonShape {
    /// A stage's regulation (`crate::regulation::StageRegulation`).
    StageRegulation,
    /// A pipeline's role ranges (`crate::regulation::parse_role_ranges`).
    RoleRanges,
    /// An organization's requisites (`crate::requisites::Requisites`).
    Requisites,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub access: Access,
    pub sortable: bool,
}

impl Field {
    pub const fn new(name: &'static str, kind: Kind) -> Self {
        Field { name, kind, required: false, access: Access::ReadWrite, sortable: false }
    }
    const fn req(mut self) -> Self {
        self.required = true;
        self
    }
    const fn ro(mut self) -> Self {
        self.access = Access::ReadOnly;
        self
    }
    const fn create_only(mut self) -> Self {
        self.access = Access::CreateOnly;
        self
    }
    const fn write_only(mut self) -> Self {
        self.access = Access::WriteOnly;
        self
    }
    const fn sort(mut self) -> Self {
        self.sortable = true;
        self
    }

    pub fn readable(&self) -> bool {
        self.access != Access::WriteOnly
    }
    pub fn writable_on_create(&self) -> bool {
        matches!(self.access, Access::CreateOnly | Access::ReadWrite | Access::WriteOnly)
    }
    pub fn writable_on_update(&self) -> bool {
        matches!(self.access, Access::ReadWrite | Access::WriteOnly)
    }
    /// Whether `?name=value` may filter a list by this field.
    pub fn filterable(&self) -> bool {
        !matches!(
            self.kind,
            Kind::Custom | Kind::LongText(_) | Kind::Password | Kind::StringList | Kind::PhoneList | Kind::EmailList | Kind::Json(_)
        )
    }
    /// The storage column (the password is stored as its hash).
    pub fn column(&self) -> &'static str {
        if self.kind == Kind::Password {
            "password_hash"
        } else {
            self.name
        }
    }
}

const NAME: usize = 255;
const LONG: usize = 100_000;
const ID: Field = Field::new("id", Kind::Id).ro().sort();
const CREATED: Field = Field::new("created_at", Kind::Timestamp).ro().sort();
const UPDATED: Field = Field::new("updated_at", Kind::Timestamp).ro().sort();
/// Bumped by every change; the API's `ETag`, checked against `If-Match`.
const VERSION: Field = Field::new("version", Kind::Int { min: 1, max: i64::MAX }).ro();
const CUSTOM: Field = Field::new("custom", Kind::Custom);
const OWNER: Field = Field::new("owner_id", Kind::Ref(Entity::User));
/// The owner of a record the lists sort by (grouping each owner's records together).
const OWNER_SORTED: Field = OWNER.sort();
const NOT_NEGATIVE: Kind = Kind::Int { min: 0, max: i32::MAX as i64 };

/// Entities that may carry custom fields, as spelled in a definition's `entity`.
pub const CUSTOM_FIELD_ENTITIES: &[&str] = &["organization", "person", "deal", "activity"];

const ORGANIZATION: &[Field] = &[
    ID,
    Field::new("name", Kind::Text(NAME)).req().sort(),
    OWNER_SORTED,
    Field::new("address", Kind::Text(1000)).sort(),
    Field::new("website", Kind::Url),
    Field::new("tax_id", Kind::Text(32)).sort(),
    Field::new("requisites", Kind::Json(JsonShape::Requisites)),
    CUSTOM,
    CREATED,
    UPDATED,
    VERSION,
];

const PERSON: &[Field] = &[
    ID,
    Field::new("name", Kind::Text(NAME)).req().sort(),
    Field::new("organization_id", Kind::Ref(Entity::Organization)).sort(),
    OWNER_SORTED,
    Field::new("job_title", Kind::Text(NAME)).sort(),
    Field::new("phone", Kind::Phone).sort(),
    Field::new("email", Kind::Email).sort(),
    // More ways to reach the person than the main phone and e-mail (a mobile and a work line);
    // each is an identity like the main ones, so intake and search find the person by any.
    Field::new("other_phones", Kind::PhoneList),
    Field::new("other_emails", Kind::EmailList),
    Field::new("telegram", Kind::Text(64)),
    Field::new("whatsapp", Kind::Phone),
    // Set when the person was found not to be a client (why, from the workspace's list): later
    // calls and messages from them are recorded on their card without a new deal or task.
    Field::new("not_lead_reason", Kind::Text(NAME)),
    CUSTOM,
    CREATED,
    UPDATED,
    VERSION,
];

const DEAL: &[Field] = &[
    ID,
    Field::new("title", Kind::Text(NAME)).req().sort(),
    Field::new("pipeline_id", Kind::Ref(Entity::Pipeline)),
    Field::new("stage_id", Kind::Ref(Entity::Stage)).sort(),
    Field::new("status", Kind::Enum(DealStatus::ALL)).sort(),
    Field::new("value", Kind::Money).sort(),
    Field::new("currency", Kind::Currency),
    OWNER_SORTED,
    Field::new("person_id", Kind::Ref(Entity::Person)).sort(),
    Field::new("organization_id", Kind::Ref(Entity::Organization)).sort(),
    Field::new("source", Kind::Text(100)).sort(),
    Field::new("utm_source", Kind::Text(NAME)),
    Field::new("utm_medium", Kind::Text(NAME)),
    Field::new("utm_campaign", Kind::Text(NAME)),
    Field::new("utm_term", Kind::Text(NAME)),
    Field::new("utm_content", Kind::Text(NAME)),
    Field::new("tracking_number", Kind::Text(32)),
    Field::new("landing_page", Kind::Text(2000)),
    Field::new("referrer", Kind::Text(2000)),
    Field::new("expected_close_date", Kind::Date).sort(),
    Field::new("stage_entered_at", Kind::Timestamp).ro(),
    Field::new("lost_reason", Kind::Text(NAME)),
    Field::new("frozen_reason", Kind::Text(NAME)),
    Field::new("not_lead_reason", Kind::Text(NAME)),
    Field::new("close_comment", Kind::LongText(LONG)),
    Field::new("return_on", Kind::Date),
    Field::new("closed_at", Kind::Timestamp).ro(),
    CUSTOM,
    CREATED,
    UPDATED,
    VERSION,
];

const ACTIVITY: &[Field] = &[
    ID,
    Field::new("type", Kind::Enum(ActivityType::ALL)).req(),
    Field::new("subject", Kind::Text(NAME)).req().sort(),
    Field::new("description", Kind::LongText(LONG)),
    Field::new("due_at", Kind::Timestamp),
    Field::new("duration_min", NOT_NEGATIVE),
    Field::new("done", Kind::Bool),
    Field::new("done_at", Kind::Timestamp).ro(),
    OWNER,
    Field::new("deal_id", Kind::Ref(Entity::Deal)),
    Field::new("person_id", Kind::Ref(Entity::Person)),
    Field::new("organization_id", Kind::Ref(Entity::Organization)),
    Field::new("call_direction", Kind::Enum(CallDirection::ALL)),
    Field::new("call_outcome", Kind::Enum(CallOutcome::ALL)),
    Field::new("phone", Kind::Phone),
    Field::new("recording_url", Kind::Url),
    Field::new("call_seconds", NOT_NEGATIVE),
    Field::new("assistant", Kind::Text(32)).ro(),
    CUSTOM,
    CREATED,
    UPDATED,
    VERSION,
];

const NOTE: &[Field] = &[
    ID,
    Field::new("content", Kind::LongText(LONG)).req(),
    Field::new("author_id", Kind::Ref(Entity::User)).ro(),
    Field::new("deal_id", Kind::Ref(Entity::Deal)),
    Field::new("person_id", Kind::Ref(Entity::Person)),
    Field::new("organization_id", Kind::Ref(Entity::Organization)),
    CREATED,
    UPDATED,
    VERSION,
];

const PIPELINE: &[Field] = &[
    ID,
    Field::new("name", Kind::Text(100)).req().sort(),
    // A stable key for the regulation file (issue 23).
    Field::new("key", Kind::Key),
    Field::new("position", NOT_NEGATIVE).sort(),
    Field::new("active", Kind::Bool),
    Field::new("role_ranges", Kind::Json(JsonShape::RoleRanges)),
    Field::new("won_required_fields", Kind::StringList),
    CREATED,
    UPDATED,
    VERSION,
];

const STAGE: &[Field] = &[
    ID,
    Field::new("pipeline_id", Kind::Ref(Entity::Pipeline)).req().create_only(),
    Field::new("name", Kind::Text(100)).req().sort(),
    Field::new("position", NOT_NEGATIVE).sort(),
    Field::new("probability", Kind::Int { min: 0, max: 100 }),
    Field::new("rotting_days", Kind::Int { min: 0, max: 3650 }),
    Field::new("regulation", Kind::Json(JsonShape::StageRegulation)),
    // A stable key for the regulation file and the stage's goal: the result that ends it (issue 23).
    Field::new("key", Kind::Key),
    Field::new("goal", Kind::LongText(2000)),
    CREATED,
    UPDATED,
    VERSION,
];

const USER: &[Field] = &[
    ID,
    Field::new("email", Kind::Email).req().sort(),
    Field::new("name", Kind::Text(NAME)).req().sort(),
    Field::new("phone", Kind::Phone),
    // The telephony extension routing answers with (issue 22).
    Field::new("extension", Kind::Text(32)),
    Field::new("role", Kind::Enum(Role::ALL)).req(),
    Field::new("team_id", Kind::Ref(Entity::Team)),
    Field::new("active", Kind::Bool),
    Field::new("locale", Kind::Enum(&["ru", "en"])),
    Field::new("password", Kind::Password).write_only(),
    CREATED,
    UPDATED,
    VERSION,
];

const TEAM: &[Field] =
    &[ID, Field::new("name", Kind::Text(NAME)).req().sort(), Field::new("head_id", Kind::Ref(Entity::User)), CREATED, UPDATED, VERSION];

const CUSTOM_FIELD: &[Field] = &[
    ID,
    Field::new("entity", Kind::Enum(CUSTOM_FIELD_ENTITIES)).req().create_only(),
    Field::new("key", Kind::Key).req().create_only().sort(),
    Field::new("label", Kind::Text(NAME)).req(),
    Field::new("field_type", Kind::Enum(CustomFieldType::ALL)).req().create_only(),
    Field::new("options", Kind::StringList),
    Field::new("position", NOT_NEGATIVE).sort(),
    CREATED,
    UPDATED,
    VERSION,
];

/// Entities a filter expression can be about.
pub const FILTER_ENTITIES: &[&str] = &["deal", "person", "organization", "activity"];

const SAVED_FILTER: &[Field] = &[
    ID,
    Field::new("name", Kind::Text(NAME)).req().sort(),
    Field::new("entity", Kind::Enum(FILTER_ENTITIES)).req().create_only(),
    Field::new("expression", Kind::LongText(4000)).req(),
    Field::new("shared", Kind::Bool),
    Field::new("owner_id", Kind::Ref(Entity::User)).ro(),
    CREATED,
    UPDATED,
    VERSION,
];

impl Entity {
    pub const ALL: &'static [Entity] = &[
        Entity::Organization,
        Entity::Person,
        Entity::Deal,
        Entity::Activity,
        Entity::Note,
        Entity::Pipeline,
        Entity::Stage,
        Entity::User,
        Entity::Team,
        Entity::CustomField,
        Entity::SavedFilter,
    ];

    /// The collection segment in `/api/v1/{path}`.
    pub fn path(self) -> &'static str {
        match self {
            Entity::Organization => "organizations",
            Entity::Person => "persons",
            Entity::Deal => "deals",
            Entity::Activity => "activities",
            Entity::Note => "notes",
            Entity::Pipeline => "pipelines",
            Entity::Stage => "stages",
            Entity::User => "users",
            Entity::Team => "teams",
            Entity::CustomField => "custom_fields",
            Entity::SavedFilter => "filters",
        }
    }

    pub fn from_path(p: &str) -> Option<Entity> {
        Entity::ALL.iter().copied().find(|e| e.path() == p)
    }

    /// Singular name, used in messages, history and custom field definitions.
    pub fn name(self) -> &'static str {
        match self {
            Entity::Organization => "organization",
            Entity::Person => "person",
            Entity::Deal => "deal",
            Entity::Activity => "activity",
            Entity::Note => "note",
            Entity::Pipeline => "pipeline",
            Entity::Stage => "stage",
            Entity::User => "user",
            Entity::Team => "team",
            Entity::CustomField => "custom_field",
            Entity::SavedFilter => "filter",
        }
    }

    pub fn from_name(n: &str) -> Option<Entity> {
        Entity::ALL.iter().copied().find(|e| e.name() == n)
    }

    pub fn table(self) -> &'static str {
        match self {
            Entity::CustomField => "custom_field_defs",
            Entity::SavedFilter => "saved_filters",
            other => other.path(),
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Entity::Organization => ORGANIZATION,
            Entity::Person => PERSON,
            Entity::Deal => DEAL,
            Entity::Activity => ACTIVITY,
            Entity::Note => NOTE,
            Entity::Pipeline => PIPELINE,
            Entity::Stage => STAGE,
            Entity::User => USER,
            Entity::Team => TEAM,
            Entity::CustomField => CUSTOM_FIELD,
            Entity::SavedFilter => SAVED_FILTER,
        }
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// The user column that decides who sees the record under "own" and "team" visibility.
    /// `None`: reference data every member of the workspace sees.
    pub fn owner_field(self) -> Option<&'static str> {
        match self {
            Entity::Organization | Entity::Person | Entity::Deal | Entity::Activity | Entity::SavedFilter => Some("owner_id"),
            Entity::Note => Some("author_id"),
            _ => None,
        }
    }

    /// Settings are changed only by administrators, those of the regulation also by heads.
    pub fn is_setting(self) -> bool {
        self.owner_field().is_none()
    }

    /// The settings that make up the sales regulation: pipelines (their role ranges and what
    /// winning needs), stages (their regulation) and the custom fields stages may require.
    pub fn is_regulation(self) -> bool {
        matches!(self, Entity::Pipeline | Entity::Stage | Entity::CustomField)
    }

    /// Users are deactivated, never deleted: their history stays theirs.
    pub fn soft_delete(self) -> bool {
        self != Entity::User
    }

    pub fn has_custom_fields(self) -> bool {
        self.fields().iter().any(|f| f.kind == Kind::Custom)
    }

    pub fn default_sort(self) -> &'static str {
        match self {
            Entity::Deal | Entity::Organization | Entity::Person | Entity::Activity | Entity::Note => "-updated_at",
            Entity::Pipeline | Entity::Stage | Entity::CustomField => "position",
            Entity::User | Entity::Team | Entity::SavedFilter => "name",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_has_an_id_and_a_sortable_default() {
        for e in Entity::ALL {
            assert_eq!(Entity::from_path(e.path()), Some(*e));
            assert_eq!(Entity::from_name(e.name()), Some(*e));
            assert!(e.field("id").is_some());
            let sort = e.default_sort().trim_start_matches('-');
            assert!(e.field(sort).is_some_and(|f| f.sortable), "{e:?} sorts by {sort}");
            if let Some(owner) = e.owner_field() {
                assert!(e.field(owner).is_some());
            }
        }
    }
}
