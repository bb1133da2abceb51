//! The demo workspace's documents part (docs/DOCUMENTS.md): its own requisites, a small product
//! catalogue, requisites on the clients of the newest open deals and line items on those deals,
//! so «Сформировать документ» works on a fresh demo. (The built-in DOCX templates are made by the
//! server crate, which the demo command calls after this.)
//!
//! Everything goes through the same store calls as the API (requisites checked, lines with their
//! history), with the system actor.
use crate::sql::col;
use crate::{Db, Result};
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Order, Query};
use serde_json::json;

/// Open deals that get line items (the newest ones with a client and a contact).
pub const DEMO_DEALS_WITH_LINES: u64 = 12;

/// The catalogue: name, unit, price in kopecks, VAT rate.
const PRODUCTS: [(&str, &str, i64, &str); 6] = [
    ("Лицензия CRM «Порядок», 1 пользователь, год", "шт", 1_200_000, "22"),
    ("Внедрение: настройка воронки и регламента", "час", 350_000, "22"),
    ("Обучение менеджеров (группа до 10 человек)", "день", 4_500_000, "22"),
    ("Интеграция с телефонией", "шт", 2_500_000, "22"),
    ("Техническая поддержка, месяц", "мес", 900_000, "22"),
    ("Методическое пособие «Продажи по регламенту»", "шт", 150_000, "10"),
];

/// A company ИНН (10 digits) for a number: nine digits and the tax service's check digit.
pub fn company_inn(n: u64) -> String {
    let body = format!("77{:07}", n % 10_000_000);
    let w = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let sum: u32 = body.chars().zip(w).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    format!("{body}{}", sum % 11 % 10)
}

/// A company ОГРН (13 digits) for a number: twelve digits and the check digit.
pub fn company_ogrn(n: u64) -> String {
    let body = 102_770_000_000u64 + n % 1_000_000;
    format!("{body:012}{}", body % 11 % 10)
}

/// A расчётный счёт keyed to `bik` (its 9th digit is the control key).
pub fn keyed_account(bik: &str, head: &str, tail: &str) -> String {
    let w = [7, 1, 3];
    for k in 0..10 {
        let acc = format!("{head}{k}{tail}");
        let all = format!("{}{acc}", &bik[6..]);
        let sum: u32 = all.chars().enumerate().map(|(i, c)| (c.to_digit(10).unwrap_or(0) * w[i % 3]) % 10).sum();
        if sum.is_multiple_of(10) {
            return acc;
        }
    }
    format!("{head}0{tail}")
}

/// The demo bank: ПАО Сбербанк's БИК and correspondent account.
const BIK: &str = "044525225";
const CORR: &str = "30101810400000000225";

impl Db {
    /// Requisites, products and line items for the demo workspace `ws` (nothing when it already
    /// has products). Returns the number of lines added.
    pub async fn demo_documents(&self, ws: i64) -> Result<u64> {
        let sys = self.system_actor(ws, Channel::Demo).await?;
        if !self.products(&sys, true).await?.is_empty() {
            return Ok(0);
        }
        let own = json!({
            "legal_name": "ООО «Вектор»",
            "inn": company_inn(1_234_567),
            "kpp": "770101001",
            "ogrn": company_ogrn(123_456),
            "legal_address": "125009, г. Москва, ул. Тверская, д. 7, офис 12",
            "bank_name": "ПАО Сбербанк",
            "bik": BIK,
            "corr_account": CORR,
            "account": keyed_account(BIK, "40702810", "38000012345"),
            "signatory_name": "Смирнов Андрей Викторович",
            "signatory_title": "Генеральный директор",
        });
        self.put_workspace_requisites(&sys, &own, None).await?;
        let mut products = Vec::new();
        for (name, unit, price, vat) in PRODUCTS {
            products.push(self.create_product(&sys, &json!({"name": name, "unit": unit, "price": price, "vat_rate": vat})).await?);
        }
        let q = Query::select()
            .columns(["id", "organization_id"].map(col))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("status")).eq("open"))
            .and_where(Expr::col(col("organization_id")).is_not_null())
            .and_where(Expr::col(col("person_id")).is_not_null())
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("id"), Order::Desc)
            .limit(DEMO_DEALS_WITH_LINES)
            .to_owned();
        let deals = self.read.query_all(self.backend.build(&q)).await?;
        let mut lines = 0;
        for (i, r) in deals.iter().enumerate() {
            let deal: i64 = r.try_get("", "id")?;
            let org: i64 = r.try_get("", "organization_id")?;
            let n = i as u64 + 1;
            let requisites = json!({"requisites": {
                "inn": company_inn(2_000_000 + n * 7919),
                "kpp": "771001001",
                "legal_address": format!("г. Москва, ул. Новая, д. {n}"),
                "bank_name": "ПАО Сбербанк",
                "bik": BIK,
                "corr_account": CORR,
                "account": keyed_account(BIK, "40702810", &format!("{:011}", 500_000 + n)),
            }});
            self.update(&sys, Entity::Organization, org, &requisites).await?;
            // A licence for a few users, some implementation hours, and on every other deal a
            // training day with a discount and a free line.
            let users = 3 + (i as i64 % 5) * 2;
            self.add_line_item(&sys, deal, &json!({"product_id": products[0].id, "quantity": users.to_string()})).await?;
            self.add_line_item(&sys, deal, &json!({"product_id": products[1].id, "quantity": "12.5"})).await?;
            lines += 2;
            if i % 2 == 0 {
                self.add_line_item(&sys, deal, &json!({"product_id": products[2].id, "discount": {"percent": "10"}})).await?;
                self.add_line_item(&sys, deal, &json!({"name": "Выезд специалиста к клиенту", "price": 1_500_000, "vat_rate": "22"}))
                    .await?;
                lines += 2;
            }
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poryadok_core::requisites::{Account, Bik, Inn, Ogrn};

    #[test]
    fn demo_numbers_pass_their_checks() {
        for n in [1, 7919, 2_000_000, 9_999_999] {
            assert!(Inn::parse(&company_inn(n)).is_ok(), "{}", company_inn(n));
        }
        assert!(Ogrn::parse(&company_ogrn(123_456)).is_ok(), "{}", company_ogrn(123_456));
        let bik = Bik::parse(BIK).unwrap();
        let acc = Account::parse(&keyed_account(BIK, "40702810", "38000012345")).unwrap();
        assert!(acc.is_keyed_to(&bik));
        assert!(Account::parse(CORR).unwrap().is_corr_keyed_to(&bik));
    }
}
