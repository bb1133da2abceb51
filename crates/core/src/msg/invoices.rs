//! Invoices, payments and their import.
use super::catalogue;

catalogue! {
    /// Invoices, payments and their import.
    InvoiceMsg {
        InvoiceCancelled {} = "invoice_cancelled", en "the invoice is cancelled; reopen it before recording a payment", ru "счёт отменён; откройте его снова, прежде чем вносить оплату";
    }
}
