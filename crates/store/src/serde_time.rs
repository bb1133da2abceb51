//! How typed results write their instants: the store keeps Unix milliseconds, the API writes
//! every timestamp as RFC 3339 in UTC with milliseconds ([`format_ms`]). For
//! `#[serde(serialize_with = "crate::serde_time::ms")]` on an `i64` field and
//! `crate::serde_time::opt_ms` on an `Option<i64>` one (`null` when absent).
use poryadok_core::types::format_ms;
use serde::Serializer;

pub(crate) fn ms<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_ms(*ms))
}

pub(crate) fn opt_ms<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_some(&format_ms(*ms)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct At {
        #[serde(serialize_with = "super::ms")]
        at: i64,
        #[serde(serialize_with = "super::opt_ms")]
        done: Option<i64>,
        #[serde(serialize_with = "super::opt_ms")]
        never: Option<i64>,
    }

    #[test]
    fn instants_write_as_the_api_writes_them() {
        let v = serde_json::to_value(At { at: 1_769_839_200_250, done: Some(0), never: None }).ok();
        assert_eq!(v, Some(serde_json::json!({"at": "2026-01-31T06:00:00.250Z", "done": "1970-01-01T00:00:00.000Z", "never": null})));
    }
}
