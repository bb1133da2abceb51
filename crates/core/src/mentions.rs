//! `@mentions` in notes: which handles a text names, and a user's handle.
//!
//! A handle is the local part of the user's e-mail (`olga` for olga@firm.ru), lower-case; a
//! mention is `@` followed by a handle at the start of the text or after a space or an opening
//! bracket, so an e-mail address written in a note (`ivan@mail.ru`) mentions nobody.

/// The handle a user is mentioned by.
pub fn user_handle(email: &str) -> String {
    email.split('@').next().unwrap_or_default().trim().to_lowercase()
}

fn handle_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}

/// The distinct handles `text` mentions, lower-case, in order of first mention.
pub fn handles(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let starts = c == '@' && prev.is_none_or(|p| p.is_whitespace() || matches!(p, '(' | '[' | '«' | '"' | ',' | ';'));
        prev = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[i + 1..];
        let len = rest.char_indices().find(|(_, c)| !handle_char(*c)).map_or(rest.len(), |(j, _)| j);
        // A sentence's full stop or a dash after the name is not part of it.
        let handle = rest[..len].trim_end_matches(['.', '-']).to_lowercase();
        if !handle.is_empty() && !out.contains(&handle) {
            out.push(handle);
        }
        for _ in 0..rest[..len].chars().count() {
            prev = chars.next().map(|(_, c)| c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mentions_and_skips_e_mail_addresses() {
        assert_eq!(handles("@olga, посмотри счёт; @Ivan.Petrov."), ["olga", "ivan.petrov"]);
        assert_eq!(handles("клиент пишет с ivan@mail.ru, ответь"), Vec::<String>::new());
        assert_eq!(handles("(@m1) и «@анна» — @m1 ещё раз"), ["m1", "анна"]);
        assert_eq!(handles("встреча @ 15:00, @"), Vec::<String>::new());
        assert_eq!(handles("cc @sales-head-"), ["sales-head"]);
    }

    #[test]
    fn a_handle_is_the_e_mail_local_part() {
        assert_eq!(user_handle("Olga.K@Firm.ru"), "olga.k");
        assert_eq!(user_handle("m1@a.test"), "m1");
    }
}
