//! The one place a [`DomainError`] becomes an HTTP answer: each meaning gets exactly the status
//! and problem slug the API document promises (the contract and fuzz tests hold us to them).
//! Store errors reach the routes only as a [`DomainError`] (its `From<StoreError>`), so they
//! are mapped here too.

use crate::domain::DomainError;
use crate::problem::ApiError;

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(d) => Self::invalid(d),
            DomainError::NotFound(d) => Self::not_found(d),
            DomainError::Forbidden(d) => Self::forbidden(d),
            DomainError::SelfApproval(d) => Self::self_approval(d),
            DomainError::PasskeyRequired(d) => Self::passkey_required(d),
            DomainError::PasskeyRefused(d) => Self::forbidden(d),
            DomainError::PolicyDenied { title, detail } => Self::denied(title, detail),
            DomainError::UnknownRole(d) => Self::unknown_role(d),
            DomainError::TtlExceeded(d) => Self::ttl_exceeded(d),
            DomainError::Conflict(d) => Self::conflict(d),
            DomainError::NotLive(d) => Self::grant_not_live(d),
            DomainError::NotStarted(d) => Self::grant_not_started(d),
            DomainError::InvalidStart(d) => Self::invalid_start(d),
            DomainError::RequestExpired(d) => Self::request_expired(d),
            DomainError::Issuer(d) => Self::issuer_failed(d),
            DomainError::StepUp { missing, detail } => Self::step_up_required(&missing, detail),
            DomainError::Store(e) => Self::internal(e),
            DomainError::Internal(cause) => Self::internal(cause),
        }
    }
}
