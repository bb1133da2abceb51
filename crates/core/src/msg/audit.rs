//! Hygiene rules, audit rounds, violations and answers.
use super::catalogue;

catalogue! {
    /// Hygiene rules, audit rounds, violations and answers.
    AuditMsg {
        NotRuleParam {} = "not_rule_param", en "is not a parameter of the rule catalogue", ru "не параметр каталога правил";
    }
}
