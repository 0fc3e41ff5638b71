//! The payment service: answers each `PaymentRequested` with PaymentCompleted
//! or PaymentFailed, or not at all. Deterministic by customer, so runs can be
//! compared: customers whose number ends in 3 have their card declined, those
//! ending in 7 sit behind a gateway that never answers (their sagas time out).

use super::{PaymentEvent, PaymentRequested};

/// How the payment service treats a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentBehaviour {
    /// Pays.
    Pays,
    /// The card is declined: PaymentFailed.
    Declined,
    /// No answer ever comes.
    NeverAnswers,
}

impl PaymentBehaviour {
    /// The behaviour of `customer` (`customer-<n>`; other names pay).
    pub fn of(customer: &str) -> Self {
        let number = customer
            .rsplit('-')
            .next()
            .and_then(|n| n.parse::<u64>().ok());
        match number.map(|n| n % 10) {
            Some(3) => Self::Declined,
            Some(7) => Self::NeverAnswers,
            _ => Self::Pays,
        }
    }
}

/// The service's answer to `request`, if it gives one.
pub fn answer_payment(request: PaymentRequested) -> Option<PaymentEvent> {
    match PaymentBehaviour::of(&request.customer) {
        PaymentBehaviour::Pays => Some(PaymentEvent {
            order_id: request.order_id,
            completed: true,
            reason: None,
        }),
        PaymentBehaviour::Declined => Some(PaymentEvent {
            order_id: request.order_id,
            completed: false,
            reason: Some(format!("card of {} declined", request.customer)),
        }),
        PaymentBehaviour::NeverAnswers => None,
    }
}
