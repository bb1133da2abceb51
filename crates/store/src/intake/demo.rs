//! The demo workspace's intake: a Ringostat line, a Telegram bot and a sales mailbox, with a few
//! deliveries already through them (and one that failed), so the inbox and the cards show what
//! intake does from the first start.
use crate::error::Result;
use crate::intake::{Arrival, NewEvent};
use crate::Db;
use poryadok_core::domain::Channel;
use serde_json::json;

impl Db {
    pub(crate) async fn demo_intake(&self, ws: i64, pipeline: i64) -> Result<()> {
        let sys = self.system_actor(ws, Channel::Demo).await?;
        let routing = |extra: serde_json::Value| {
            let mut c = json!({"pipeline_id": pipeline, "callback_minutes": 15});
            if let (Some(c), Some(e)) = (c.as_object_mut(), extra.as_object()) {
                c.extend(e.clone());
            }
            c
        };
        let phone = self
            .create_source(&sys, &json!({"kind": "telephony", "name": "Ringostat", "config": routing(json!({"preset": "ringostat"}))}))
            .await?;
        let bot = self.create_source(&sys, &json!({"kind": "telegram", "name": "Telegram-бот", "config": routing(json!({}))})).await?;
        let mail = self.create_source(&sys, &json!({"kind": "email", "name": "sales@ почта", "config": routing(json!({}))})).await?;
        let calls: [&[u8]; 3] = [
            b"uniqueid=demo-1&caller=8%20(999)%20000-11-01&dst=74951230000&call_type=in&disposition=NO%20ANSWER&billsec=0&utm_source=yandex&utm_medium=cpc&utm_campaign=brand",
            b"uniqueid=demo-2&caller=%2B79990001102&dst=74951230000&call_type=in&disposition=ANSWERED&billsec=184&recording=https%3A%2F%2Frec.example.com%2Fdemo-2.mp3&utm_source=google&utm_medium=cpc",
            b"uniqueid=demo-3&caller=12&call_type=in&disposition=ANSWERED&billsec=3",
        ];
        let telegram = json!({"update_id": 9001, "message": {"message_id": 1, "date": 1_790_000_000,
            "from": {"id": 700_100, "first_name": "Мария", "last_name": "Котова", "username": "mkotova"},
            "chat": {"id": 700_100}, "text": "Здравствуйте! Подскажите стоимость внедрения для 15 менеджеров?"}})
        .to_string();
        let email = "From: =?UTF-8?B?0JDQvdC00YDQtdC5INCb0LjRgdC40L0=?= <a.lisin@example.org>\r\nTo: sales@demo.poryadok.local\r\n\
Subject: =?UTF-8?B?0JfQsNC/0YDQvtGBINC60L7QvNC80LXRgNGH0LXRgdC60L7Qs9C+INC/0YDQtdC00LvQvtC20LXQvdC40Y8=?=\r\nMessage-ID: <demo-1@example.org>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nДобрый день! Пришлите, пожалуйста, КП на 20 пользователей.\r\n--\r\nАндрей Лисин\r\n";
        let deliveries: Vec<(&crate::intake::Source, &[u8], &str)> = calls
            .iter()
            .map(|b| (&phone, *b, "application/x-www-form-urlencoded"))
            .chain([(&bot, telegram.as_bytes(), "application/json"), (&mail, email.as_bytes(), "message/rfc822")])
            .collect();
        for (source, body, content_type) in deliveries {
            let (external_id, arrival) = self.triage(source, body, Some(content_type)).await?;
            let pending = matches!(arrival, Arrival::Pending);
            let ev = NewEvent { source, external_id, content_type: Some(content_type.into()), body, remote_addr: None, arrival };
            let accepted = self.accept_event(&ev).await?;
            if pending {
                self.process_event(ws, accepted.event_id).await?;
            }
        }
        Ok(())
    }
}
