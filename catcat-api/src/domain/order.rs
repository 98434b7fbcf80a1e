//! The order and progress state machines.

use chrono::{DateTime, Duration, Utc};

use super::{OrderStatus, ProgressStatus};

/// Who asks for a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The order's customer.
    Customer,
    /// The provider taking or assigned to the order.
    Provider,
    /// An administrator.
    Admin,
    /// The service itself (queue consumer, payments).
    System,
}

/// A change of an order's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Queued → Pending, when the queue consumer persists the order.
    Persist,
    /// Pending → Accepted, by a verified provider.
    Accept,
    /// Accepted → InProgress, by the assigned provider.
    Start,
    /// InProgress → Completed, by the assigned provider.
    Complete,
    /// To Cancelled, within the rules for the actor.
    Cancel,
    /// Cancelled → Refunded, when the refund of a paid order succeeds.
    Refund,
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The order is not in a state this transition starts from.
    #[error("an order that is {from:?} cannot be {transition:?}")]
    InvalidState {
        /// The current status.
        from: OrderStatus,
        /// What was asked.
        transition: Transition,
    },
    /// This actor may not make this transition.
    #[error("{actor:?} may not {transition:?} an order")]
    NotAllowed {
        /// Who asked.
        actor: Actor,
        /// What was asked.
        transition: Transition,
    },
    /// A customer may cancel an accepted order only until two hours before the service.
    #[error("an accepted order can be cancelled until two hours before the service")]
    TooLateToCancel,
}

/// How long before the service a customer may still cancel an accepted order.
pub const CANCEL_NOTICE: Duration = Duration::hours(2);

/// The status after `transition`, or why it is refused.
pub fn transition(
    from: OrderStatus,
    transition: Transition,
    actor: Actor,
    now: DateTime<Utc>,
    service_at: DateTime<Utc>,
) -> Result<OrderStatus, TransitionError> {
    use OrderStatus as S;
    use Transition as T;
    let invalid = TransitionError::InvalidState { from, transition };
    let not_allowed = TransitionError::NotAllowed { actor, transition };
    let (allowed, ok_from, to): (&[Actor], &[OrderStatus], OrderStatus) = match transition {
        T::Persist => (&[Actor::System], &[S::Queued], S::Pending),
        T::Accept => (&[Actor::Provider], &[S::Pending], S::Accepted),
        T::Start => (&[Actor::Provider], &[S::Accepted], S::InProgress),
        T::Complete => (&[Actor::Provider], &[S::InProgress], S::Completed),
        T::Refund => (&[Actor::System, Actor::Admin], &[S::Cancelled], S::Refunded),
        T::Cancel => match actor {
            Actor::Customer => {
                (&[Actor::Customer], &[S::Queued, S::Pending, S::Accepted], S::Cancelled)
            }
            Actor::Admin | Actor::System => (
                &[Actor::Admin, Actor::System],
                &[S::Queued, S::Pending, S::Accepted, S::InProgress],
                S::Cancelled,
            ),
            Actor::Provider => return Err(not_allowed),
        },
    };
    if !allowed.contains(&actor) {
        return Err(not_allowed);
    }
    if !ok_from.contains(&from) {
        return Err(invalid);
    }
    if transition == T::Cancel
        && actor == Actor::Customer
        && from == S::Accepted
        && now > service_at - CANCEL_NOTICE
    {
        return Err(TransitionError::TooLateToCancel);
    }
    Ok(to)
}

/// Whether nothing more can happen to an order in this status.
pub fn is_terminal(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Refunded)
}

/// Why a progress report is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgressError {
    /// The report does not follow the previous one.
    #[error("{next:?} cannot follow {last:?}; expected one of {expected:?}")]
    OutOfOrder {
        /// The last report, if any.
        last: Option<ProgressStatus>,
        /// The report asked for.
        next: ProgressStatus,
        /// What may come next.
        expected: Vec<ProgressStatus>,
    },
}

/// The care steps that may follow `StartService`, in any order.
pub const CARE_STEPS: [ProgressStatus; 5] = [
    ProgressStatus::Feeding,
    ProgressStatus::CleaningLitter,
    ProgressStatus::Playing,
    ProgressStatus::Grooming,
    ProgressStatus::TakingPhotos,
];

/// What may be reported after `last`.
pub fn expected_progress(last: Option<ProgressStatus>) -> Vec<ProgressStatus> {
    use ProgressStatus as P;
    match last {
        None => vec![P::OnTheWay],
        Some(P::OnTheWay) => vec![P::Arrived],
        Some(P::Arrived) => vec![P::StartService],
        Some(P::Completed) => vec![],
        Some(_) => CARE_STEPS.iter().copied().chain([P::Completed]).collect(),
    }
}

/// Checks that `next` may follow `last`; the order status it moves the order to, if any.
pub fn progress(
    last: Option<ProgressStatus>,
    next: ProgressStatus,
) -> Result<Option<OrderStatus>, ProgressError> {
    let expected = expected_progress(last);
    if !expected.contains(&next) {
        return Err(ProgressError::OutOfOrder { last, next, expected });
    }
    Ok(match next {
        ProgressStatus::StartService => Some(OrderStatus::InProgress),
        ProgressStatus::Completed => Some(OrderStatus::Completed),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus as S;

    fn at(hours_from_now: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        let now = Utc::now();
        (now, now + Duration::hours(hours_from_now))
    }

    #[test]
    fn the_happy_path() {
        let (now, service) = at(24);
        let mut s = S::Queued;
        for (t, actor) in [
            (Transition::Persist, Actor::System),
            (Transition::Accept, Actor::Provider),
            (Transition::Start, Actor::Provider),
            (Transition::Complete, Actor::Provider),
        ] {
            s = transition(s, t, actor, now, service).unwrap();
        }
        assert_eq!(s, S::Completed);
        assert!(is_terminal(s));
    }

    #[test]
    fn every_refused_transition() {
        let (now, service) = at(24);
        for from in S::ALL.iter().copied() {
            for t in [Transition::Accept, Transition::Start, Transition::Complete] {
                let ok = matches!(
                    (from, t),
                    (S::Pending, Transition::Accept)
                        | (S::Accepted, Transition::Start)
                        | (S::InProgress, Transition::Complete)
                );
                assert_eq!(
                    transition(from, t, Actor::Provider, now, service).is_ok(),
                    ok,
                    "{from:?} {t:?}"
                );
                assert!(matches!(
                    transition(from, t, Actor::Customer, now, service),
                    Err(TransitionError::NotAllowed { .. })
                ));
            }
            let customer_cancel =
                transition(from, Transition::Cancel, Actor::Customer, now, service).is_ok();
            assert_eq!(
                customer_cancel,
                matches!(from, S::Queued | S::Pending | S::Accepted),
                "{from:?}"
            );
            let admin_cancel =
                transition(from, Transition::Cancel, Actor::Admin, now, service).is_ok();
            assert_eq!(admin_cancel, !is_terminal(from), "{from:?}");
            assert!(transition(from, Transition::Cancel, Actor::Provider, now, service).is_err());
        }
    }

    #[test]
    fn customers_cancel_accepted_orders_only_with_two_hours_notice() {
        let (now, service) = at(3);
        assert!(transition(S::Accepted, Transition::Cancel, Actor::Customer, now, service).is_ok());
        let (now, service) = at(1);
        assert_eq!(
            transition(S::Accepted, Transition::Cancel, Actor::Customer, now, service),
            Err(TransitionError::TooLateToCancel)
        );
        assert!(
            transition(S::Pending, Transition::Cancel, Actor::Customer, now, service).is_ok(),
            "pending: any time"
        );
        assert!(
            transition(S::Accepted, Transition::Cancel, Actor::Admin, now, service).is_ok(),
            "admins: any time"
        );
    }

    #[test]
    fn progress_follows_the_visit() {
        use ProgressStatus as P;
        assert_eq!(progress(None, P::OnTheWay), Ok(None));
        assert!(progress(None, P::Arrived).is_err());
        assert_eq!(progress(Some(P::OnTheWay), P::Arrived), Ok(None));
        assert_eq!(progress(Some(P::Arrived), P::StartService), Ok(Some(S::InProgress)));
        assert!(progress(Some(P::Arrived), P::Feeding).is_err());
        for step in CARE_STEPS {
            assert_eq!(progress(Some(P::StartService), step), Ok(None));
            for other in CARE_STEPS {
                assert_eq!(progress(Some(step), other), Ok(None), "care steps in any order");
            }
            assert_eq!(progress(Some(step), P::Completed), Ok(Some(S::Completed)));
        }
        assert!(progress(Some(P::Completed), P::Feeding).is_err());
        assert!(progress(Some(P::StartService), P::OnTheWay).is_err());
    }
}
