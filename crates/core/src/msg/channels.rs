//! Outbound webhooks, the SMS gateway, message channels.
use super::catalogue;

catalogue! {
    /// Outbound webhooks, the SMS gateway, message channels.
    ChannelMsg {
        WebhookOff {} = "webhook_off", en "the webhook is switched off; switch it on first", ru "вебхук выключен; сначала включите его";
    }
}
