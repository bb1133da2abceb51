//! The password policy: what a new password must not be. A pure function of the password and
//! the account's e-mail, called wherever a password is set (validation of the user record).
//!
//! Rules, in the order they are checked: at least [`MIN_CHARS`] characters (counted as Unicode
//! scalar values, nothing trimmed) and at most [`MAX_CHARS`]; not only whitespace; not one
//! character repeated; not the account's e-mail or its local part; not a well-known password,
//! compared case-insensitively, and also with a trailing run of digits and punctuation removed
//! (`Password123!` is `password`). The list is embedded; it is short on purpose, the length rule
//! does most of the work.
//!
//! This module decides; it does not hash, store or log passwords.
use std::fmt;

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 256;

/// Why a password is refused. The API answers `validation` on the field `password` with
/// [`PasswordProblem::message`]; the UI renders the same message in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    Blank,
    Repeated,
    IsEmail,
    Common,
}

impl PasswordProblem {
    /// A stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "password_too_short",
            PasswordProblem::TooLong => "password_too_long",
            PasswordProblem::Blank => "password_blank",
            PasswordProblem::Repeated => "password_repeated",
            PasswordProblem::IsEmail => "password_is_email",
            PasswordProblem::Common => "password_common",
        }
    }

    /// The catalogue message a reader is shown.
    pub fn msg(self) -> crate::msg::Msg {
        use crate::msg::Common as C;
        match self {
            PasswordProblem::TooShort => C::PasswordShort { min: MIN_CHARS as i64 },
            PasswordProblem::TooLong => C::PasswordLong { max: MAX_CHARS as i64 },
            PasswordProblem::Blank => C::PasswordBlank {},
            PasswordProblem::Repeated => C::PasswordRepeated {},
            PasswordProblem::IsEmail => C::PasswordEmail {},
            PasswordProblem::Common => C::PasswordCommon {},
        }
        .into()
    }
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg().english())
    }
}

/// Checks a new password; `email` is the account's address when known.
pub fn check(plain: &str, email: Option<&str>) -> Result<(), PasswordProblem> {
    let n = plain.chars().count();
    if n > MAX_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if plain.trim().is_empty() {
        return Err(PasswordProblem::Blank);
    }
    if n < MIN_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    let mut chars = plain.chars();
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return Err(PasswordProblem::Repeated);
        }
    }
    let lower = plain.trim().to_lowercase();
    if let Some(email) = email.map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()) {
        let local = email.split('@').next().unwrap_or("");
        if lower == email || (local.chars().count() >= 3 && strip_suffix_run(&lower) == local) || lower.contains(&email) {
            return Err(PasswordProblem::IsEmail);
        }
    }
    if is_common(&lower) {
        return Err(PasswordProblem::Common);
    }
    Ok(())
}

/// `password123!` → `password`: a well-known word with digits or punctuation added is still well known.
fn strip_suffix_run(s: &str) -> &str {
    s.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ')
}

fn is_common(lower: &str) -> bool {
    let bare = strip_suffix_run(lower);
    let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    let in_list = |s: &str| !s.is_empty() && COMMON.binary_search(&s).is_ok();
    in_list(lower) || in_list(bare) || in_list(&squeezed) || is_sequence(lower) || is_short_cycle(lower)
}

/// Runs along a digit row or the alphabet, either way: `1234567890`, `0987654321`, `abcdefghij`.
fn is_sequence(s: &str) -> bool {
    const ROWS: [&str; 6] = [
        "01234567890123456789",
        "abcdefghijklmnopqrstuvwxyz",
        "qwertyuiopasdfghjklzxcvbnm",
        "йцукенгшщзхъфывапролджэячсмитьбю",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
        "zaq12wsxcde34rfvbgt56yhnmju78ik,.lo90p;/-[']",
    ];
    let rev: String = s.chars().rev().collect();
    ROWS.iter().any(|row| row.contains(s) || row.contains(rev.as_str()))
}

/// A short pattern repeated to length: `abcabcabcabc`, `12121212121`, `qweqweqweqwe`.
fn is_short_cycle(s: &str) -> bool {
    let c: Vec<char> = s.chars().collect();
    (2..=4).any(|p| c.len() >= 2 * p && (p..c.len()).all(|i| c[i] == c[i - p]))
}

/// Well-known passwords, lower case, sorted (a test keeps it sorted for the binary search).
/// Drawn from the commonest passwords in published breach corpora, with Russian favourites.
const COMMON: &[&str] = &[
    "000000",
    "0000000000",
    "1111111111",
    "112233",
    "11223344",
    "1122334455",
    "121212",
    "123123",
    "123123123",
    "123321",
    "1234",
    "12341234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "123456789a",
    "123456a",
    "123456q",
    "123456qwerty",
    "123abc",
    "123qwe",
    "123qweasd",
    "123qweasdzxc",
    "1q2w3e",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "1qaz2wsx",
    "1qaz2wsx3edc",
    "1qazxsw2",
    "3rjs1la7qe",
    "555555",
    "654321",
    "666666",
    "6969",
    "696969",
    "777777",
    "7777777",
    "87654321",
    "88888888",
    "987654321",
    "9876543210",
    "aa123456",
    "aaaaaa",
    "abc123",
    "abcd1234",
    "abcdef",
    "abcdefg",
    "access",
    "admin",
    "admin123",
    "adminadmin",
    "administrator",
    "alexander",
    "alexandr",
    "alexey",
    "andrew",
    "andrey",
    "angel",
    "anthony",
    "apple",
    "asdf",
    "asdf1234",
    "asdfasdf",
    "asdfgh",
    "asdfghjkl",
    "ashley",
    "asshole",
    "austin",
    "bailey",
    "banana",
    "baseball",
    "batman",
    "biteme",
    "blahblah",
    "buster",
    "changeme",
    "charlie",
    "cheese",
    "chelsea",
    "chocolate",
    "computer",
    "cookie",
    "corvette",
    "crm",
    "crmadmin",
    "dakota",
    "daniel",
    "default",
    "diamond",
    "dmitry",
    "donald",
    "dragon",
    "dragon123",
    "ekaterina",
    "elena",
    "eminem",
    "falcon",
    "football",
    "freedom",
    "fuckme",
    "fuckoff",
    "fuckyou",
    "gfhjkm",
    "ginger",
    "hannah",
    "harley",
    "hello",
    "hello123",
    "helloworld",
    "hockey",
    "hunter",
    "hunter2",
    "iloveyou",
    "iloveyou1",
    "internet",
    "ivanov",
    "jennifer",
    "jessica",
    "jordan",
    "joshua",
    "justin",
    "killer",
    "klaster",
    "letmein",
    "liverpool",
    "login",
    "lol123",
    "love",
    "lovely",
    "loveme",
    "maggie",
    "marina",
    "master",
    "matrix",
    "matthew",
    "maxim",
    "merlin",
    "michael",
    "michelle",
    "monkey",
    "mustang",
    "mylove",
    "natasha",
    "nicole",
    "nikita",
    "ninja",
    "olga",
    "parol",
    "parol123",
    "pass",
    "pass1234",
    "passw0rd",
    "password",
    "password1",
    "password12",
    "password123",
    "password1234",
    "passwort",
    "pepper",
    "petrov",
    "pokemon",
    "poryadok",
    "princess",
    "privet",
    "qazwsx",
    "qazwsxedc",
    "qazxswedc",
    "qwaszx",
    "qwe123",
    "qweasd",
    "qweasdzxc",
    "qweqwe",
    "qwert",
    "qwerty",
    "qwerty1",
    "qwerty12",
    "qwerty123",
    "qwerty1234",
    "qwerty12345",
    "qwertyu",
    "qwertyui",
    "qwertyuiop",
    "qwertz",
    "qwertzuiop",
    "ranger",
    "robert",
    "russia",
    "samsung",
    "secret",
    "sergey",
    "shadow",
    "sidorov",
    "soccer",
    "solo",
    "spartak",
    "starwars",
    "summer",
    "sunshine",
    "superman",
    "svetlana",
    "taylor",
    "test",
    "test123",
    "test1234",
    "tester",
    "testtest",
    "thomas",
    "tigger",
    "trustno1",
    "valentina",
    "vfrcbv",
    "vladimir",
    "welcome",
    "whatever",
    "winter",
    "yankees",
    "ytrewq",
    "zaq12wsx",
    "zaq1zaq1",
    "zxcvbn",
    "zxcvbnm",
    "zxcvbnm123",
    "йцукен",
    "йцукенгшщз",
    "любовь",
    "пароль",
    "пароль123",
    "привет",
    "россия",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_for_the_binary_search() {
        let mut sorted = COMMON.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, COMMON, "keep COMMON sorted and free of duplicates");
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        use PasswordProblem::*;
        for (pw, why) in [
            ("short1!", TooShort),
            ("          ", Blank),
            ("\t\t\t\t\t\t\t\t\t\t\t", Blank),
            ("aaaaaaaaaa", Repeated),
            ("ЖЖЖЖЖЖЖЖЖЖЖЖ", Repeated),
            ("password123", Common),
            ("Password123!", Common),
            ("PASSWORD2024", Common),
            ("qwertyuiop", Common),
            ("1234567890", Common),
            ("0987654321", Common),
            ("abcdefghijk", Common),
            ("abcabcabcabc", Common),
            ("1212121212", Common),
            ("пароль123456", Common),
            ("qwerty 12345", Common),
        ] {
            assert_eq!(check(pw, None), Err(why), "{pw:?}");
        }
        assert_eq!(check(&"x".repeat(257), None), Err(TooLong));
    }

    #[test]
    fn the_e_mail_is_not_a_password() {
        assert_eq!(check("olga.petrova@example.com", Some("Olga.Petrova@example.com")), Err(PasswordProblem::IsEmail));
        assert_eq!(check("olga.petrova2024", Some("olga.petrova@example.com")), Err(PasswordProblem::IsEmail));
        assert_eq!(check("olga.petrova2024", Some("someone@example.com")), Ok(()));
    }

    #[test]
    fn characters_are_counted_not_bytes() {
        // Nine Cyrillic letters are 18 bytes but still too short; ten are fine.
        assert_eq!(check("секретики", None), Err(PasswordProblem::TooShort));
        assert_eq!(check("секретный пароль", None), Ok(()));
        assert_eq!(check("correct horse battery", None), Ok(()));
        assert_eq!(check("long enough pw", None), Ok(()));
        // Surrounding spaces count towards the length and are kept.
        assert_eq!(check(" kx7-mq2p ", None), Ok(()));
    }
}
