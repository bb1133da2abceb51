//! Products and a deal's line items as values: the VAT rate, an exact quantity, a discount, and
//! the sums a document prints. Pure code; the store keeps the rows and calls these.
//!
//! Arithmetic is exact on integers: money is minor units (kopecks), a quantity is thousandths of a
//! unit (1.5 pcs = 1500), a percentage discount is hundredths of a percent (12.5 % = 1250). One
//! rounding rule everywhere: **half away from zero to the kopeck, once per line and per step** —
//! the line's amount (price × quantity), then its discount, then its VAT. Totals are sums of the
//! rounded lines, so the printed lines always add up to the printed total.
//!
//! VAT follows the workspace's setting `prices_include_vat` (default: on, the usual Russian way of
//! quoting prices «в т.ч. НДС»): when prices include VAT the line's VAT is extracted from its
//! total (`total × rate / (100 + rate)`) and the amount payable is the sum of the line totals;
//! when they do not, VAT is charged on top (`total × rate / 100`) and the amount payable is the
//! line totals plus VAT. «Без НДС» lines carry no VAT.
use crate::msg::{Common, DocumentMsg};
use crate::Msg;
use serde::Serialize;

/// The largest quantity a line takes, in whole units.
pub const MAX_QUANTITY_UNITS: i64 = 1_000_000_000;
/// The largest price a product or line takes, in minor units (one trillion roubles).
pub const MAX_PRICE: i64 = 100_000_000_000_000;

/// A VAT rate Russian documents use: 22 % (general from 2026), 10 %, 0 %, or without VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VatRate {
    #[serde(rename = "22")]
    Vat22,
    #[serde(rename = "10")]
    Vat10,
    #[serde(rename = "0")]
    Vat0,
    #[serde(rename = "none")]
    None,
}

impl VatRate {
    pub const ALL: [VatRate; 4] = [VatRate::Vat22, VatRate::Vat10, VatRate::Vat0, VatRate::None];

    /// The stored and wire form: `22`, `10`, `0`, `none`.
    pub fn code(self) -> &'static str {
        match self {
            VatRate::Vat22 => "22",
            VatRate::Vat10 => "10",
            VatRate::Vat0 => "0",
            VatRate::None => "none",
        }
    }

    pub fn parse(s: &str) -> Result<VatRate, Msg> {
        match s.trim().trim_end_matches('%').trim() {
            "22" => Ok(VatRate::Vat22),
            "10" => Ok(VatRate::Vat10),
            "0" => Ok(VatRate::Vat0),
            "none" | "без НДС" | "без ндс" => Ok(VatRate::None),
            _ => Err(DocumentMsg::VatRateChoice {}.into()),
        }
    }

    /// The rate in whole percent (0 for «без НДС»).
    pub fn percent(self) -> i64 {
        match self {
            VatRate::Vat22 => 22,
            VatRate::Vat10 => 10,
            VatRate::Vat0 | VatRate::None => 0,
        }
    }

    /// How a document prints the rate: «22 %», «Без НДС» / "No VAT".
    pub fn label(self, lang: crate::Lang) -> String {
        match (self, lang) {
            (VatRate::None, crate::Lang::Ru) => "Без НДС".into(),
            (VatRate::None, crate::Lang::En) => "No VAT".into(),
            (r, _) => format!("{} %", r.percent()),
        }
    }
}

/// `a × b / d` rounded half away from zero, in 128-bit so no product overflows.
pub fn mul_div_round(a: i64, b: i64, d: i64) -> i64 {
    if d == 0 {
        return 0;
    }
    let (n, d) = (a as i128 * b as i128, d as i128);
    let q = n / d;
    let r = n % d;
    let q = if 2 * r.abs() >= d.abs() { q + n.signum() * d.signum() } else { q };
    q.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Reads a quantity such as `2`, `1.5`, `0,25` into thousandths; positive, at most three
/// decimals, at most [`MAX_QUANTITY_UNITS`].
pub fn parse_quantity(s: &str) -> Result<i64, Msg> {
    parse_fixed(s, 3).filter(|q| *q > 0 && *q <= MAX_QUANTITY_UNITS * 1000).ok_or_else(|| DocumentMsg::QuantityShape {}.into())
}

/// A quantity in thousandths as the shortest decimal: 1500 → `1.5`, 2000 → `2`.
pub fn format_quantity(milli: i64) -> String {
    format_fixed(milli, 3)
}

/// Reads a percentage such as `10`, `12.5` into hundredths of a percent, 0..=100 %.
pub fn parse_percent(s: &str) -> Result<i64, Msg> {
    parse_fixed(s.trim().trim_end_matches('%'), 2).filter(|p| (0..=10_000).contains(p)).ok_or_else(|| DocumentMsg::PercentShape {}.into())
}

/// Hundredths of a percent as the shortest decimal: 1250 → `12.5`.
pub fn format_percent(bp: i64) -> String {
    format_fixed(bp, 2)
}

/// A decimal with at most `scale` digits after `.` or `,` as an integer of 10^-scale units;
/// `None` when it does not read or does not fit.
fn parse_fixed(s: &str, scale: u32) -> Option<i64> {
    let t = s.trim().replace([' ', '\u{a0}'], "").replace(',', ".");
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, t),
    };
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > scale as usize {
        return None;
    }
    let w: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut f: i64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    for _ in frac.len()..scale as usize {
        f = f.checked_mul(10)?;
    }
    let v = w.checked_mul(10i64.pow(scale))?.checked_add(f)?;
    Some(if neg { -v } else { v })
}

fn format_fixed(v: i64, scale: u32) -> String {
    let unit = 10i64.pow(scale);
    let (sign, abs) = if v < 0 { ("-", v.unsigned_abs() as i64) } else { ("", v) };
    let (w, f) = (abs / unit, abs % unit);
    if f == 0 {
        return format!("{sign}{w}");
    }
    let frac = format!("{f:0width$}", width = scale as usize);
    format!("{sign}{w}.{}", frac.trim_end_matches('0'))
}

/// A line's discount: none, a percentage of its amount, or a fixed sum off it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Discount {
    #[default]
    None,
    /// Hundredths of a percent (1250 = 12.5 %).
    Percent(i64),
    /// Minor units.
    Amount(i64),
}

impl Discount {
    /// The stored kind: `none`, `percent`, `amount`.
    pub fn kind(self) -> &'static str {
        match self {
            Discount::None => "none",
            Discount::Percent(_) => "percent",
            Discount::Amount(_) => "amount",
        }
    }

    pub fn value(self) -> i64 {
        match self {
            Discount::None => 0,
            Discount::Percent(v) | Discount::Amount(v) => v,
        }
    }

    /// From the stored kind and value.
    pub fn from_parts(kind: &str, value: i64) -> Discount {
        match kind {
            "percent" => Discount::Percent(value),
            "amount" => Discount::Amount(value),
            _ => Discount::None,
        }
    }
}

/// What a line is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInput {
    /// Minor units per unit.
    pub price: i64,
    /// Thousandths of a unit.
    pub quantity_milli: i64,
    pub discount: Discount,
    pub vat: VatRate,
}

/// A line's sums, each rounded once (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct LineSums {
    /// price × quantity.
    pub amount: i64,
    /// What the discount takes off (never more than the amount).
    pub discount: i64,
    /// amount − discount: what the line costs at the prices as entered.
    pub total: i64,
    /// The VAT in the line (extracted or charged, by the workspace's setting).
    pub vat: i64,
    /// What the client pays for the line: `total` when prices include VAT, `total + vat` otherwise.
    pub payable: i64,
}

/// The sums of one line.
pub fn line_sums(line: &LineInput, prices_include_vat: bool) -> LineSums {
    let amount = mul_div_round(line.price, line.quantity_milli, 1000);
    let discount = match line.discount {
        Discount::None => 0,
        Discount::Percent(bp) => mul_div_round(amount, bp, 10_000),
        Discount::Amount(a) => a.min(amount),
    };
    let total = amount - discount;
    let rate = line.vat.percent();
    let (vat, payable) = if prices_include_vat {
        (mul_div_round(total, rate, 100 + rate), total)
    } else {
        let vat = mul_div_round(total, rate, 100);
        (vat, total + vat)
    };
    LineSums { amount, discount, total, vat, payable }
}

/// The VAT of one rate across the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VatPart {
    pub rate: VatRate,
    /// The lines' totals at this rate.
    pub base: i64,
    pub vat: i64,
}

/// The sums of a set of lines: what a document's totals print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Totals {
    /// Σ line amounts before discounts.
    pub amount: i64,
    pub discount: i64,
    /// Σ line totals.
    pub total: i64,
    pub vat: i64,
    /// What the client pays.
    pub payable: i64,
    /// VAT per rate, in the order 22, 10, 0, none; rates no line uses are left out.
    pub by_rate: Vec<VatPart>,
    pub prices_include_vat: bool,
}

/// Sums the lines (each rounded on its own first).
pub fn totals(lines: &[LineInput], prices_include_vat: bool) -> Totals {
    let mut t = Totals { prices_include_vat, ..Totals::default() };
    let mut parts: Vec<VatPart> = VatRate::ALL.iter().map(|r| VatPart { rate: *r, base: 0, vat: 0 }).collect();
    let mut used = [false; 4];
    for line in lines {
        let s = line_sums(line, prices_include_vat);
        t.amount += s.amount;
        t.discount += s.discount;
        t.total += s.total;
        t.vat += s.vat;
        t.payable += s.payable;
        if let Some(i) = VatRate::ALL.iter().position(|r| *r == line.vat) {
            parts[i].base += s.total;
            parts[i].vat += s.vat;
            used[i] = true;
        }
    }
    t.by_rate = parts.into_iter().zip(used).filter(|(_, u)| *u).map(|(p, _)| p).collect();
    t
}

/// Checks a price in minor units: zero or more, at most [`MAX_PRICE`].
pub fn check_price(price: i64) -> Result<i64, Msg> {
    if (0..=MAX_PRICE).contains(&price) {
        Ok(price)
    } else {
        Err(DocumentMsg::PriceShape {}.into())
    }
}

/// A product or line name: trimmed, 1..=500 characters.
pub fn check_name(raw: &str) -> Result<String, Msg> {
    let n = raw.trim();
    if n.is_empty() {
        return Err(Common::Required {}.into());
    }
    if n.chars().count() > 500 {
        return Err(Common::TooLong { max: 500 }.into());
    }
    Ok(n.to_string())
}

/// A unit of measure such as «шт», «час», «кг»: trimmed, 1..=20 characters.
pub fn check_unit(raw: &str) -> Result<String, Msg> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > 20 {
        return Err(DocumentMsg::UnitShape {}.into());
    }
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(price: i64, q: &str, discount: Discount, vat: VatRate) -> LineInput {
        LineInput { price, quantity_milli: parse_quantity(q).unwrap(), discount, vat }
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(mul_div_round(5, 1, 10), 1);
        assert_eq!(mul_div_round(4, 1, 10), 0);
        assert_eq!(mul_div_round(-5, 1, 10), -1);
        assert_eq!(mul_div_round(i64::MAX, 2, 2), i64::MAX);
    }

    #[test]
    fn quantities_and_percents_read_exactly() {
        assert_eq!(parse_quantity("1.5"), Ok(1500));
        assert_eq!(parse_quantity("0,001"), Ok(1));
        assert_eq!(parse_quantity("2"), Ok(2000));
        assert!(parse_quantity("0").is_err());
        assert!(parse_quantity("1.0001").is_err());
        assert!(parse_quantity("-1").is_err());
        assert!(parse_quantity("abc").is_err());
        assert_eq!(format_quantity(1500), "1.5");
        assert_eq!(format_quantity(2000), "2");
        assert_eq!(format_quantity(1), "0.001");
        assert_eq!(parse_percent("12.5%"), Ok(1250));
        assert!(parse_percent("101").is_err());
        assert_eq!(format_percent(1250), "12.5");
    }

    #[test]
    fn vat_extracted_when_prices_include_it() {
        // 3 × 1 000,00 ₽ at 22 % included: VAT 3000 × 22 / 122 = 540,98.
        let s = line_sums(&line(100_000, "3", Discount::None, VatRate::Vat22), true);
        assert_eq!(s, LineSums { amount: 300_000, discount: 0, total: 300_000, vat: 54_098, payable: 300_000 });
    }

    #[test]
    fn vat_charged_on_top_when_prices_exclude_it() {
        let s = line_sums(&line(100_000, "3", Discount::Percent(1000), VatRate::Vat10), false);
        assert_eq!(s, LineSums { amount: 300_000, discount: 30_000, total: 270_000, vat: 27_000, payable: 297_000 });
    }

    #[test]
    fn a_fixed_discount_never_exceeds_the_amount() {
        let s = line_sums(&line(1_000, "1", Discount::Amount(5_000), VatRate::None), true);
        assert_eq!((s.total, s.vat, s.payable), (0, 0, 0));
    }

    #[test]
    fn fractional_quantities_round_once_per_line() {
        // 0.333 × 10,01 ₽ = 3,33333 → 3,33.
        let s = line_sums(&line(1_001, "0.333", Discount::None, VatRate::None), true);
        assert_eq!(s.amount, 333);
    }

    #[test]
    fn totals_add_up_the_rounded_lines_per_rate() {
        let lines = [
            line(100_000, "3", Discount::None, VatRate::Vat22),
            line(50_000, "1", Discount::None, VatRate::Vat10),
            line(20_000, "2", Discount::None, VatRate::None),
            line(1_000, "1", Discount::None, VatRate::Vat22),
        ];
        let t = totals(&lines, true);
        assert_eq!(t.total, 300_000 + 50_000 + 40_000 + 1_000);
        assert_eq!(t.payable, t.total);
        assert_eq!(t.by_rate.len(), 3);
        assert_eq!(t.by_rate[0].vat, 54_098 + 180);
        assert_eq!(t.by_rate[1].vat, 4_545);
        assert_eq!(t.vat, 54_098 + 180 + 4_545);
    }
}
