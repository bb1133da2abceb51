//! Requisites (реквизиты): the legal details of the workspace's own company and of a client
//! organization, as typed values. Each number parses into its newtype only when its shape and
//! its check digits are right, so a value of type [`Inn`] is a valid ИНН.
//!
//! Checks, as the Federal Tax Service and the Bank of Russia define them:
//! - ИНН of a company (10 digits): the 10th digit is Σ(dᵢ·wᵢ) mod 11 mod 10 with weights
//!   2 4 10 3 5 9 4 6 8; of an individual entrepreneur (12 digits): the 11th digit with weights
//!   7 2 4 10 3 5 9 4 6 8 over the first 10, the 12th with 3 7 2 4 10 3 5 9 4 6 8 over the first 11.
//! - ОГРН (13 digits): the last digit is (the first 12 as a number) mod 11 mod 10; ОГРНИП (15):
//!   (the first 14) mod 13 mod 10.
//! - КПП: 4 digits, 2 digits or capital Latin letters, 3 digits.
//! - БИК: 9 digits. Accounts: 20 digits. A расчётный счёт is keyed to its bank: the last three
//!   digits of the БИК followed by the 20 digits of the account, weighted 7 1 3 repeatedly, sum to
//!   a multiple of 10; for the корреспондентский счёт the prefix is `0` and the БИК's 5th and 6th
//!   digits.
use crate::error::FieldError;
use crate::msg::{Common, Msg, RequisiteMsg as R};
use serde_json::{json, Map, Value};

fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

fn weighted(d: &[u32], w: &[u32]) -> u32 {
    d.iter().zip(w).map(|(a, b)| a * b).sum()
}

/// A ИНН whose check digits are right: 10 digits for a company, 12 for an entrepreneur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inn(String);

impl Inn {
    pub fn parse(s: &str) -> Result<Inn, Msg> {
        let s = s.trim();
        let d = digits(s).filter(|d| d.len() == 10 || d.len() == 12).ok_or(R::InnShape {})?;
        let ok = if d.len() == 10 {
            weighted(&d[..9], &[2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11 % 10 == d[9]
        } else {
            weighted(&d[..10], &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11 % 10 == d[10]
                && weighted(&d[..11], &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11 % 10 == d[11]
        };
        if !ok {
            return Err(R::InnCheck {}.into());
        }
        Ok(Inn(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// An individual entrepreneur's ИНН (12 digits).
    pub fn is_entrepreneur(&self) -> bool {
        self.0.len() == 12
    }
}

/// A КПП: `NNNN PP NNN`, where PP is two digits or capital Latin letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kpp(String);

impl Kpp {
    pub fn parse(s: &str) -> Result<Kpp, Msg> {
        let s = s.trim();
        let b = s.as_bytes();
        let ok = b.len() == 9
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4..6].iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && b[6..].iter().all(u8::is_ascii_digit);
        if !ok {
            return Err(R::KppShape {}.into());
        }
        Ok(Kpp(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ОГРН (13 digits) or ОГРНИП (15 digits) with its check digit right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ogrn(String);

impl Ogrn {
    pub fn parse(s: &str) -> Result<Ogrn, Msg> {
        let s = s.trim();
        let d = digits(s).filter(|d| d.len() == 13 || d.len() == 15).ok_or(R::OgrnShape {})?;
        let modulus = if d.len() == 13 { 11 } else { 13 };
        let head: u64 = s[..d.len() - 1].parse().map_err(|_| R::OgrnShape {})?;
        if (head % modulus % 10) as u32 != d[d.len() - 1] {
            return Err(R::OgrnCheck {}.into());
        }
        Ok(Ogrn(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// An ОГРНИП (15 digits), an individual entrepreneur's.
    pub fn is_entrepreneur(&self) -> bool {
        self.0.len() == 15
    }
}

/// A БИК: 9 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bik(String);

impl Bik {
    pub fn parse(s: &str) -> Result<Bik, Msg> {
        let s = s.trim();
        if digits(s).is_none_or(|d| d.len() != 9) {
            return Err(R::BikShape {}.into());
        }
        Ok(Bik(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bank account number: 20 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account(String);

impl Account {
    pub fn parse(s: &str) -> Result<Account, Msg> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if digits(&s).is_none_or(|d| d.len() != 20) {
            return Err(R::AccountShape {}.into());
        }
        Ok(Account(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    fn key_ok(&self, prefix: &str) -> bool {
        let all = format!("{prefix}{}", self.0);
        let Some(d) = digits(&all) else { return false };
        d.iter().enumerate().map(|(i, x)| x * [7, 1, 3][i % 3]).sum::<u32>() % 10 == 0
    }
    /// Whether this расчётный счёт belongs to the bank of `bik` (its control key).
    pub fn is_keyed_to(&self, bik: &Bik) -> bool {
        self.key_ok(&bik.0[6..])
    }
    /// Whether this корреспондентский счёт belongs to the bank of `bik`.
    pub fn is_corr_keyed_to(&self, bik: &Bik) -> bool {
        self.key_ok(&format!("0{}", &bik.0[4..6]))
    }
}

/// A company's legal details: the workspace's own (they head invoices and contracts) or a
/// client organization's. Every part may be left out; what is given is valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requisites {
    pub legal_name: Option<String>,
    pub inn: Option<Inn>,
    pub kpp: Option<Kpp>,
    pub ogrn: Option<Ogrn>,
    pub legal_address: Option<String>,
    pub bank_name: Option<String>,
    pub bik: Option<Bik>,
    pub corr_account: Option<Account>,
    pub account: Option<Account>,
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
}

/// The keys of a requisites object, in display order.
pub const KEYS: &[&str] = &[
    "legal_name",
    "inn",
    "kpp",
    "ogrn",
    "legal_address",
    "bank_name",
    "bik",
    "corr_account",
    "account",
    "signatory_name",
    "signatory_title",
];

impl Requisites {
    pub fn is_empty(&self) -> bool {
        *self == Requisites::default()
    }

    /// Parses a requisites object (`{"inn": "7707083893", …}`); an error names the field as
    /// `{prefix}.{key}` (`requisites.inn`). Empty strings and nulls leave a part out.
    pub fn parse(v: &Value, prefix: &str) -> Result<Requisites, FieldError> {
        let field = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
        let e = |k: &str, m: Msg| FieldError::new(field(k), m);
        let obj = match v {
            Value::Null => return Ok(Requisites::default()),
            Value::Object(o) => o,
            _ => return Err(FieldError::new(prefix, Common::NotObject {})),
        };
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(e(k, Common::UnknownKey { expected: crate::msg::words(KEYS) }.into()));
        }
        let text = |k: &str, max: usize| -> Result<Option<String>, FieldError> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) if s.trim().chars().count() > max => Err(e(k, R::TextTooLong { max: max as i64 }.into())),
                Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
                Some(_) => Err(e(k, Common::NotString {}.into())),
            }
        };
        fn typed<T>(
            raw: Option<String>,
            parse: fn(&str) -> Result<T, Msg>,
            e: &dyn Fn(&str, Msg) -> FieldError,
            k: &str,
        ) -> Result<Option<T>, FieldError> {
            raw.map(|s| parse(&s).map_err(|m| e(k, m))).transpose()
        }
        let r = Requisites {
            legal_name: text("legal_name", 500)?,
            inn: typed(text("inn", 20)?, Inn::parse, &e, "inn")?,
            kpp: typed(text("kpp", 20)?, Kpp::parse, &e, "kpp")?,
            ogrn: typed(text("ogrn", 20)?, Ogrn::parse, &e, "ogrn")?,
            legal_address: text("legal_address", 1000)?,
            bank_name: text("bank_name", 500)?,
            bik: typed(text("bik", 20)?, Bik::parse, &e, "bik")?,
            corr_account: typed(text("corr_account", 40)?, Account::parse, &e, "corr_account")?,
            account: typed(text("account", 40)?, Account::parse, &e, "account")?,
            signatory_name: text("signatory_name", 255)?,
            signatory_title: text("signatory_title", 255)?,
        };
        if let Some(inn) = &r.inn {
            if inn.is_entrepreneur() && r.kpp.is_some() {
                return Err(e("kpp", R::KppForEntrepreneur {}.into()));
            }
            if r.ogrn.as_ref().is_some_and(|o| o.is_entrepreneur() != inn.is_entrepreneur()) {
                return Err(e("ogrn", R::OgrnKind {}.into()));
            }
        }
        if let Some(corr) = &r.corr_account {
            if !corr.as_str().starts_with("30101") {
                return Err(e("corr_account", R::CorrAccountPrefix {}.into()));
            }
            if r.bik.as_ref().is_some_and(|b| !corr.is_corr_keyed_to(b)) {
                return Err(e("corr_account", R::AccountKey {}.into()));
            }
        }
        if let (Some(acc), Some(bik)) = (&r.account, &r.bik) {
            if !acc.is_keyed_to(bik) {
                return Err(e("account", R::AccountKey {}.into()));
            }
        }
        Ok(r)
    }

    /// The requisites as an object with every key (absent parts are null).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        for k in KEYS {
            m.insert(k.to_string(), self.get(k).map_or(Value::Null, |s| json!(s)));
        }
        Value::Object(m)
    }

    /// A part by its key, as text (for templates and views).
    pub fn get(&self, key: &str) -> Option<&str> {
        match key {
            "legal_name" => self.legal_name.as_deref(),
            "inn" => self.inn.as_ref().map(Inn::as_str),
            "kpp" => self.kpp.as_ref().map(Kpp::as_str),
            "ogrn" => self.ogrn.as_ref().map(Ogrn::as_str),
            "legal_address" => self.legal_address.as_deref(),
            "bank_name" => self.bank_name.as_deref(),
            "bik" => self.bik.as_ref().map(Bik::as_str),
            "corr_account" => self.corr_account.as_ref().map(Account::as_str),
            "account" => self.account.as_ref().map(Account::as_str),
            "signatory_name" => self.signatory_name.as_deref(),
            "signatory_title" => self.signatory_title.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<impl std::fmt::Debug, Msg>) -> &'static str {
        r.unwrap_err().code()
    }

    #[test]
    fn inn_check_digits_of_real_numbers() {
        // ПАО Сбербанк, ПАО «Газпром», Яндекс; a Moscow-region entrepreneur.
        for ok in ["7707083893", "7736050003", "7736207543", "500100732259"] {
            assert_eq!(Inn::parse(ok).unwrap().as_str(), ok);
        }
        assert!(Inn::parse("500100732259").unwrap().is_entrepreneur());
        assert_eq!(code(Inn::parse("7707083894")), "inn_check_digit");
        assert_eq!(code(Inn::parse("7707038893")), "inn_check_digit", "two digits swapped");
        assert_eq!(code(Inn::parse("500100732258")), "inn_check_digit");
        assert_eq!(code(Inn::parse("500100732249")), "inn_check_digit", "the 11th digit is wrong");
        assert_eq!(code(Inn::parse("770708389")), "inn_shape");
        assert_eq!(code(Inn::parse("77070838931")), "inn_shape");
        assert_eq!(code(Inn::parse("77O7083893")), "inn_shape");
        assert_eq!(code(Inn::parse("")), "inn_shape");
    }

    #[test]
    fn ogrn_and_ogrnip_check_digits() {
        // Сбербанк, Газпром; an entrepreneur's ОГРНИП.
        for ok in ["1027700132195", "1027700070518", "304500116000157"] {
            assert_eq!(Ogrn::parse(ok).unwrap().as_str(), ok);
        }
        assert!(Ogrn::parse("304500116000157").unwrap().is_entrepreneur());
        assert_eq!(code(Ogrn::parse("1027700132196")), "ogrn_check_digit");
        assert_eq!(code(Ogrn::parse("304500116000158")), "ogrn_check_digit");
        assert_eq!(code(Ogrn::parse("10277001321")), "ogrn_shape");
    }

    #[test]
    fn kpp_bik_and_accounts() {
        assert!(Kpp::parse("773601001").is_ok());
        assert!(Kpp::parse("7736AB001").is_ok());
        assert_eq!(code(Kpp::parse("7736ab001")), "kpp_shape");
        assert_eq!(code(Kpp::parse("77360100")), "kpp_shape");
        assert!(Bik::parse("044525225").is_ok());
        assert_eq!(code(Bik::parse("04452522")), "bik_shape");
        assert_eq!(Account::parse("3010 1810 4000 0000 0225").unwrap().as_str(), "30101810400000000225");
        assert_eq!(code(Account::parse("3010181040000000022")), "account_shape");
    }

    #[test]
    fn accounts_are_keyed_to_their_bank() {
        let sber = Bik::parse("044525225").unwrap();
        // Сбербанк's correspondent account and a settlement account keyed to it.
        assert!(Account::parse("30101810400000000225").unwrap().is_corr_keyed_to(&sber));
        assert!(Account::parse("40702810438000060473").unwrap().is_keyed_to(&sber));
        // One digit off, or the right account under another bank (Альфа-Банк's БИК).
        assert!(!Account::parse("40702810438000060474").unwrap().is_keyed_to(&sber));
        assert!(!Account::parse("40702810438000060473").unwrap().is_keyed_to(&Bik::parse("044525593").unwrap()));
        assert!(!Account::parse("30101810400000000226").unwrap().is_corr_keyed_to(&sber));
        // ВТБ's and Альфа-Банк's correspondent accounts under their own БИК.
        assert!(Account::parse("30101810700000000187").unwrap().is_corr_keyed_to(&Bik::parse("044525187").unwrap()));
        assert!(Account::parse("30101810200000000593").unwrap().is_corr_keyed_to(&Bik::parse("044525593").unwrap()));
    }

    #[test]
    fn requisites_parse_name_the_field_and_round_trip() {
        let v = json!({
            "legal_name": "ПАО Сбербанк", "inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195",
            "legal_address": "117312, г. Москва, ул. Вавилова, д. 19", "bank_name": "ПАО Сбербанк", "bik": "044525225",
            "corr_account": "30101810400000000225", "account": "40702810438000060473",
            "signatory_name": "Иванов И. И.", "signatory_title": "Генеральный директор",
        });
        let r = Requisites::parse(&v, "requisites").unwrap();
        assert_eq!(r.to_json(), v);
        assert_eq!(Requisites::parse(&r.to_json(), "").unwrap(), r);
        let field = |patch: Value| {
            let mut v = v.clone();
            v.as_object_mut().unwrap().extend(patch.as_object().unwrap().clone());
            let e = Requisites::parse(&v, "requisites").unwrap_err();
            (e.field, e.msg.code())
        };
        assert_eq!(field(json!({"inn": "7707083894"})), ("requisites.inn".into(), "inn_check_digit"));
        assert_eq!(field(json!({"account": "40702810438000060474"})), ("requisites.account".into(), "account_key"));
        assert_eq!(field(json!({"corr_account": "40702810438000060473"})), ("requisites.corr_account".into(), "corr_account_prefix"));
        assert_eq!(field(json!({"inn": "500100732259"})), ("requisites.kpp".into(), "kpp_for_entrepreneur"));
        assert_eq!(field(json!({"ogrn": "304500116000157"})), ("requisites.ogrn".into(), "ogrn_kind"));
        assert_eq!(field(json!({"bank": "x"})), ("requisites.bank".into(), "unknown_key"));
        assert!(Requisites::parse(&json!({"inn": "", "kpp": null}), "requisites").unwrap().is_empty());
    }
}
