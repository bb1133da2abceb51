//! An amount of money in words, as a document prints it: «Сто пятьдесят тысяч рублей 00 копеек»,
//! "One hundred fifty thousand rubles and 00 kopecks".
//!
//! The amount is integer minor units (two decimals for every currency here). The whole part is in
//! words with Russian genders and plural forms (одна тысяча, две тысячи, пять тысяч; один рубль,
//! два рубля, пять рублей, 11–14 рублей); the minor part stays as two digits followed by its noun
//! in the form the digits ask for (01 копейка, 02 копейки, 05 копеек). RUB, USD and EUR have their
//! names in both languages; any other currency prints its ISO code after the words. Negative
//! amounts start with «минус» / "minus". Pure code.
use crate::msg::Lang;

/// The grammatical gender a Russian noun gives the numerals «один/одна» and «два/две».
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gender {
    Masculine,
    Feminine,
}

/// A Russian noun in its three counting forms: for 1 (and 21, 31…), for 2–4, for 5–20 and 0.
struct RuNoun {
    one: &'static str,
    few: &'static str,
    many: &'static str,
    gender: Gender,
}

const fn ru(one: &'static str, few: &'static str, many: &'static str, gender: Gender) -> RuNoun {
    RuNoun { one, few, many, gender }
}

/// An English noun in its singular and plural.
struct EnNoun {
    one: &'static str,
    many: &'static str,
}

struct Currency {
    major_ru: RuNoun,
    minor_ru: RuNoun,
    major_en: EnNoun,
    minor_en: EnNoun,
}

fn currency_names(code: &str) -> Option<Currency> {
    use Gender::{Feminine as F, Masculine as M};
    match code {
        "RUB" => Some(Currency {
            major_ru: ru("рубль", "рубля", "рублей", M),
            minor_ru: ru("копейка", "копейки", "копеек", F),
            major_en: EnNoun { one: "ruble", many: "rubles" },
            minor_en: EnNoun { one: "kopeck", many: "kopecks" },
        }),
        "USD" => Some(Currency {
            major_ru: ru("доллар США", "доллара США", "долларов США", M),
            minor_ru: ru("цент", "цента", "центов", M),
            major_en: EnNoun { one: "US dollar", many: "US dollars" },
            minor_en: EnNoun { one: "cent", many: "cents" },
        }),
        "EUR" => Some(Currency {
            major_ru: ru("евро", "евро", "евро", M),
            minor_ru: ru("цент", "цента", "центов", M),
            major_en: EnNoun { one: "euro", many: "euros" },
            minor_en: EnNoun { one: "cent", many: "cents" },
        }),
        _ => None,
    }
}

/// Which of a Russian noun's forms goes with `n`.
fn ru_form(n: u128, noun: &RuNoun) -> &'static str {
    let (last2, last) = (n % 100, n % 10);
    if (11..=14).contains(&last2) {
        noun.many
    } else if last == 1 {
        noun.one
    } else if (2..=4).contains(&last) {
        noun.few
    } else {
        noun.many
    }
}

const RU_UNITS_M: [&str; 10] = ["", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"];
const RU_UNITS_F: [&str; 10] = ["", "одна", "две", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"];
const RU_TEENS: [&str; 10] = [
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
];
const RU_TENS: [&str; 10] = ["", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто"];
const RU_HUNDREDS: [&str; 10] = ["", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот"];

/// The scales above units, smallest first: тысяча is feminine, the rest masculine.
const RU_SCALES: [RuNoun; 5] = [
    ru("тысяча", "тысячи", "тысяч", Gender::Feminine),
    ru("миллион", "миллиона", "миллионов", Gender::Masculine),
    ru("миллиард", "миллиарда", "миллиардов", Gender::Masculine),
    ru("триллион", "триллиона", "триллионов", Gender::Masculine),
    ru("квадриллион", "квадриллиона", "квадриллионов", Gender::Masculine),
];

/// 1..=999 in Russian words in the given gender.
fn ru_triple(n: u128, gender: Gender, out: &mut Vec<&'static str>) {
    let (h, t, u) = ((n / 100) as usize, ((n / 10) % 10) as usize, (n % 10) as usize);
    if h > 0 {
        out.push(RU_HUNDREDS[h]);
    }
    if t == 1 {
        out.push(RU_TEENS[u]);
        return;
    }
    if t > 1 {
        out.push(RU_TENS[t]);
    }
    if u > 0 {
        out.push(if gender == Gender::Feminine { RU_UNITS_F[u] } else { RU_UNITS_M[u] });
    }
}

/// A whole number in Russian words, agreeing with a noun of `gender` (ноль for 0).
pub fn ru_number(n: u128, gender_feminine: bool) -> String {
    ru_number_words(n, if gender_feminine { Gender::Feminine } else { Gender::Masculine })
}

fn ru_number_words(n: u128, gender: Gender) -> String {
    if n == 0 {
        return "ноль".into();
    }
    let mut groups = Vec::new();
    let mut rest = n;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let mut out: Vec<&'static str> = Vec::new();
    for (i, &g) in groups.iter().enumerate().rev() {
        if g == 0 {
            continue;
        }
        if i == 0 {
            ru_triple(g, gender, &mut out);
            continue;
        }
        // Scales beyond the table do not occur for i64 amounts; the words stop at квадриллион.
        let Some(scale) = RU_SCALES.get(i - 1) else { continue };
        ru_triple(g, scale.gender, &mut out);
        out.push(ru_form(g, scale));
    }
    out.join(" ")
}

const EN_ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const EN_TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const EN_SCALES: [&str; 5] = ["thousand", "million", "billion", "trillion", "quadrillion"];

fn en_triple(n: u128, out: &mut Vec<String>) {
    let (h, rest) = ((n / 100) as usize, (n % 100) as usize);
    if h > 0 {
        out.push(format!("{} hundred", EN_ONES[h]));
    }
    if rest == 0 {
        return;
    }
    if rest < 20 {
        out.push(EN_ONES[rest].into());
    } else if rest % 10 == 0 {
        out.push(EN_TENS[rest / 10].into());
    } else {
        out.push(format!("{}-{}", EN_TENS[rest / 10], EN_ONES[rest % 10]));
    }
}

/// A whole number in English words, without "and" ("one hundred fifty thousand one").
pub fn en_number(n: u128) -> String {
    if n == 0 {
        return "zero".into();
    }
    let mut groups = Vec::new();
    let mut rest = n;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let mut out = Vec::new();
    for (i, &g) in groups.iter().enumerate().rev() {
        if g == 0 {
            continue;
        }
        en_triple(g, &mut out);
        if i > 0 {
            if let Some(scale) = EN_SCALES.get(i - 1) {
                out.push((*scale).into());
            }
        }
    }
    out.join(" ")
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `minor` units of `currency` (an ISO code) in words in `lang`, first letter capital:
/// «Сто пятьдесят тысяч рублей 00 копеек», "One hundred fifty thousand rubles and 00 kopecks".
pub fn amount_in_words(minor: i64, currency: &str, lang: Lang) -> String {
    let negative = minor < 0;
    let abs = minor.unsigned_abs() as u128;
    let (major, cents) = (abs / 100, abs % 100);
    let cur = currency_names(&currency.to_ascii_uppercase());
    let text = match (lang, cur) {
        (Lang::Ru, Some(c)) => {
            let words = ru_number_words(major, c.major_ru.gender);
            format!("{words} {} {cents:02} {}", ru_form(major, &c.major_ru), ru_form(cents, &c.minor_ru))
        }
        (Lang::Ru, None) => format!("{} {} {cents:02}", ru_number_words(major, Gender::Masculine), currency.to_ascii_uppercase()),
        (Lang::En, Some(c)) => {
            let major_noun = if major == 1 { c.major_en.one } else { c.major_en.many };
            let minor_noun = if cents == 1 { c.minor_en.one } else { c.minor_en.many };
            format!("{} {major_noun} and {cents:02} {minor_noun}", en_number(major))
        }
        (Lang::En, None) => format!("{} {} and {cents:02}", en_number(major), currency.to_ascii_uppercase()),
    };
    let text = match (negative, lang) {
        (true, Lang::Ru) => format!("минус {text}"),
        (true, Lang::En) => format!("minus {text}"),
        _ => text,
    };
    capitalized(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rub(rubles: i64) -> String {
        amount_in_words(rubles * 100, "RUB", Lang::Ru)
    }

    #[test]
    fn russian_plural_forms_and_genders() {
        assert_eq!(rub(0), "Ноль рублей 00 копеек");
        assert_eq!(rub(1), "Один рубль 00 копеек");
        assert_eq!(rub(2), "Два рубля 00 копеек");
        assert_eq!(rub(5), "Пять рублей 00 копеек");
        assert_eq!(rub(11), "Одиннадцать рублей 00 копеек");
        assert_eq!(rub(12), "Двенадцать рублей 00 копеек");
        assert_eq!(rub(14), "Четырнадцать рублей 00 копеек");
        assert_eq!(rub(19), "Девятнадцать рублей 00 копеек");
        assert_eq!(rub(21), "Двадцать один рубль 00 копеек");
        assert_eq!(rub(22), "Двадцать два рубля 00 копеек");
        assert_eq!(rub(101), "Сто один рубль 00 копеек");
        assert_eq!(rub(111), "Сто одиннадцать рублей 00 копеек");
        assert_eq!(rub(1000), "Одна тысяча рублей 00 копеек");
        assert_eq!(rub(1001), "Одна тысяча один рубль 00 копеек");
        assert_eq!(rub(2000), "Две тысячи рублей 00 копеек");
        assert_eq!(rub(5000), "Пять тысяч рублей 00 копеек");
        assert_eq!(rub(11_000), "Одиннадцать тысяч рублей 00 копеек");
        assert_eq!(rub(21_000), "Двадцать одна тысяча рублей 00 копеек");
        assert_eq!(rub(22_000), "Двадцать две тысячи рублей 00 копеек");
        assert_eq!(rub(150_000), "Сто пятьдесят тысяч рублей 00 копеек");
        assert_eq!(rub(1_000_000), "Один миллион рублей 00 копеек");
        assert_eq!(rub(1_000_001), "Один миллион один рубль 00 копеек");
        assert_eq!(rub(2_002_002), "Два миллиона две тысячи два рубля 00 копеек");
        assert_eq!(rub(5_000_000), "Пять миллионов рублей 00 копеек");
        assert_eq!(rub(1_000_000_000), "Один миллиард рублей 00 копеек");
        assert_eq!(rub(3_000_000_000), "Три миллиарда рублей 00 копеек");
        assert_eq!(rub(912_345_678), "Девятьсот двенадцать миллионов триста сорок пять тысяч шестьсот семьдесят восемь рублей 00 копеек");
    }

    #[test]
    fn russian_kopecks_are_digits_with_their_form() {
        assert_eq!(amount_in_words(101, "RUB", Lang::Ru), "Один рубль 01 копейка");
        assert_eq!(amount_in_words(202, "RUB", Lang::Ru), "Два рубля 02 копейки");
        assert_eq!(amount_in_words(1511, "RUB", Lang::Ru), "Пятнадцать рублей 11 копеек");
        assert_eq!(amount_in_words(2121, "RUB", Lang::Ru), "Двадцать один рубль 21 копейка");
        assert_eq!(amount_in_words(99, "RUB", Lang::Ru), "Ноль рублей 99 копеек");
        assert_eq!(amount_in_words(-500, "RUB", Lang::Ru), "Минус пять рублей 00 копеек");
    }

    #[test]
    fn other_currencies_in_russian() {
        assert_eq!(amount_in_words(100, "USD", Lang::Ru), "Один доллар США 00 центов");
        assert_eq!(amount_in_words(2_101, "EUR", Lang::Ru), "Двадцать один евро 01 цент");
        assert_eq!(amount_in_words(300, "usd", Lang::Ru), "Три доллара США 00 центов");
        assert_eq!(amount_in_words(1_000_000, "CNY", Lang::Ru), "Десять тысяч CNY 00");
    }

    #[test]
    fn english() {
        assert_eq!(amount_in_words(15_000_000, "RUB", Lang::En), "One hundred fifty thousand rubles and 00 kopecks");
        assert_eq!(amount_in_words(0, "RUB", Lang::En), "Zero rubles and 00 kopecks");
        assert_eq!(amount_in_words(101, "RUB", Lang::En), "One ruble and 01 kopeck");
        assert_eq!(amount_in_words(2_100, "USD", Lang::En), "Twenty-one US dollars and 00 cents");
        assert_eq!(amount_in_words(100_100, "EUR", Lang::En), "One thousand one euros and 00 cents");
        assert_eq!(amount_in_words(100_000_100, "EUR", Lang::En), "One million one euros and 00 cents");
        assert_eq!(amount_in_words(100_000_000_000, "USD", Lang::En), "One billion US dollars and 00 cents");
        assert_eq!(amount_in_words(11_100, "GBP", Lang::En), "One hundred eleven GBP and 00");
    }

    #[test]
    fn the_largest_amount_has_words() {
        let s = amount_in_words(i64::MAX, "RUB", Lang::Ru);
        assert!(s.starts_with("Девяносто два квадриллиона"), "{s}");
        let s = amount_in_words(i64::MIN, "RUB", Lang::En);
        assert!(s.starts_with("Minus ninety-two quadrillion"), "{s}");
    }

    #[test]
    fn numbers_alone() {
        assert_eq!(ru_number(21, true), "двадцать одна");
        assert_eq!(ru_number(2, false), "два");
        assert_eq!(en_number(1_000_001), "one million one");
        assert_eq!(en_number(12), "twelve");
    }
}
