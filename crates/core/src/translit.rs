//! Names in Latin letters, for the keys and slugs made from them: a Russian name becomes ASCII
//! words (`Отправлено КП` → `otpravleno`, `kp`) that each caller joins and bounds its own way.

/// A Russian letter in Latin (`ъ`, `ь` give nothing); `None` for any other character.
fn latin(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' | 'й' => "i",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "h",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "sch",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        'ъ' | 'ь' => "",
        _ => return None,
    })
}

/// The lower-case ASCII words of `text`: Russian letters transliterated, ASCII letters and digits
/// kept, anything else a word break.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.to_lowercase().chars() {
        if let Some(t) = latin(c) {
            word.push_str(t);
        } else if c.is_ascii_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// `words` joined by `sep`, at most `max` characters, never ending in `sep`.
pub fn joined(text: &str, sep: char, max: usize) -> String {
    let s: String = words(text).join(&sep.to_string()).chars().take(max).collect();
    s.trim_end_matches(sep).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_names_become_ascii_words() {
        assert_eq!(words("Отправлено КП"), ["otpravleno", "kp"]);
        assert_eq!(joined("Счёт-фактура №2", '_', 48), "schet_faktura_2");
        assert_eq!(joined("Подъезд", '-', 3), "pod");
        assert_eq!(joined("аб вг", '-', 3), "ab");
        assert!(words("!!!").is_empty());
    }
}
