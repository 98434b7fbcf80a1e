//! Payment rules: which way a payment may move (webhooks arrive twice and out of order, and
//! must never move a payment backwards) and amounts in a currency's minor unit.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::PaymentStatus;

/// Whether a payment in `from` may become `to`. A failed attempt may still be followed by a
/// successful one (the customer tries another card); nothing follows a cancelled or refunded
/// payment; a refund proves the payment succeeded, so it is taken from any live state.
pub fn may_move(from: PaymentStatus, to: PaymentStatus) -> bool {
    use PaymentStatus as P;
    match from {
        P::Pending | P::Processing | P::Failed => to != from && to != P::Pending,
        P::Succeeded => to == P::Refunded,
        P::Cancelled | P::Refunded => false,
    }
}

/// Currencies Stripe counts in whole units (no minor unit).
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// `amount` in `currency`'s minor unit (cents for most), as Stripe counts it; `None` when it
/// is negative, does not fit, or has a fraction the unit cannot hold.
pub fn minor_units(amount: Decimal, currency: &str) -> Option<i64> {
    let scale = if ZERO_DECIMAL.contains(&currency) { 1 } else { 100 };
    let units = amount.checked_mul(Decimal::from(scale))?;
    if units.is_sign_negative() || units.fract() != Decimal::ZERO {
        return None;
    }
    units.to_i64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus as P;

    #[test]
    fn payments_never_move_backwards() {
        for &from in P::ALL {
            assert!(!may_move(from, from), "{from:?} to itself is no move");
            assert!(!may_move(from, P::Pending), "nothing goes back to Pending");
        }
        assert!(may_move(P::Pending, P::Succeeded));
        assert!(may_move(P::Failed, P::Succeeded), "a second card after a declined one");
        assert!(!may_move(P::Succeeded, P::Failed), "a late failure of an earlier attempt");
        assert!(!may_move(P::Succeeded, P::Cancelled));
        assert!(may_move(P::Succeeded, P::Refunded));
        assert!(may_move(P::Pending, P::Refunded), "the refund arrived before the success");
        assert!(!may_move(P::Refunded, P::Succeeded), "the success arrived after the refund");
        for &to in P::ALL {
            assert!(!may_move(P::Refunded, to) && !may_move(P::Cancelled, to));
        }
    }

    #[test]
    fn amounts_in_minor_units() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(minor_units(d("129.00"), "cny"), Some(12_900));
        assert_eq!(minor_units(d("0.5"), "usd"), Some(50));
        assert_eq!(minor_units(d("1500"), "jpy"), Some(1500));
        assert_eq!(minor_units(d("15.5"), "jpy"), None, "yen have no fraction");
        assert_eq!(minor_units(d("0.001"), "usd"), None);
        assert_eq!(minor_units(d("-1"), "usd"), None);
    }
}
