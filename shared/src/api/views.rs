//! JSON bodies of successful responses (SPEC 4.2–4.5).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::Lang;
use crate::app::SupportContacts;
use crate::domain::{
    Application, ApplicationStatus, DeactivationAct, Delivery, NumberAction, NumberCodes,
    NumberRequest, OtpLedger, OtpPolicy,
};
use crate::ports::{Page, StoredApplication, StoredNumber};

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| json!(ts(t)))
}

/// The state of the outstanding code of an application, without the code.
pub fn otp(app: &Application, policy: &OtpPolicy, now: DateTime<Utc>) -> Value {
    ledger(&app.otp, policy, now)
}

/// The state of a code ledger, without the code.
pub fn ledger(ledger: &OtpLedger, policy: &OtpPolicy, now: DateTime<Utc>) -> Value {
    json!({
        "expires_at": opt_ts(ledger.expires_at()),
        "resend_available_at": ts(ledger.resend_available_at(policy).unwrap_or(now).max(now)),
        "attempts_left": ledger.attempts_left(policy),
        "delivery": match ledger.delivery { Delivery::Sent => "sent", Delivery::Failed => "failed" },
        "sends_left": policy.sends_per_subject.saturating_sub(ledger.sends),
    })
}

pub fn submitted(app: &Application, policy: &OtpPolicy, now: DateTime<Utc>) -> Value {
    json!({
        "id": app.id,
        "status": app.status.as_str(),
        "phone": app.phone.as_ref(),
        "otp": otp(app, policy, now),
        "created_at": ts(app.created_at),
    })
}

pub fn confirmed(app: &Application) -> Value {
    json!({
        "id": app.id,
        "status": app.status.as_str(),
        "expected_completion_at": opt_ts(app.expected_completion_at),
    })
}

pub fn resent(app: &Application, policy: &OtpPolicy, now: DateTime<Utc>) -> Value {
    json!({ "id": app.id, "status": app.status.as_str(), "otp": otp(app, policy, now) })
}

pub fn application(
    stored: &StoredApplication,
    now: DateTime<Utc>,
    lang: Lang,
    support: &SupportContacts,
    policy: &OtpPolicy,
) -> Value {
    let app = &stored.application;
    let status = app.effective_status(now);
    let org = &app.organization;
    let mut v = json!({
        "id": app.id,
        "status": status.as_str(),
        "status_label": status.label(lang.is_english()),
        "phone": app.phone.as_ref(),
        "organization": {
            "inn": org.inn.as_ref(),
            "ogrn": org.ogrn.as_ref(),
            "kpp": org.kpp.as_ref().map(|k| k.as_ref()),
            "name": org.name.as_ref(),
        },
        "employee": {
            "snils_masked": app.employee.snils.masked(),
            "full_name": app.employee.full_name.as_ref(),
        },
        "documents": app.documents,
        "submitted_at": ts(app.created_at),
        "updated_at": ts(app.updated_at),
        "expected_completion_at": match status {
            ApplicationStatus::UnderReview | ApplicationStatus::ManualReview => opt_ts(app.expected_completion_at),
            _ => Value::Null,
        },
        "operator": app.operator,
        "comment": app.comment,
        "rejection_reason": app.rejection_reason,
        "documents_required": app.documents_required.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "documents_due_at": opt_ts(app.documents_due_at()),
        "history": stored.history.iter().map(|h| json!({
            "at": ts(h.at),
            "from": h.from.map(|s| s.as_str()),
            "to": h.to.as_str(),
            "actor": h.actor.to_string(),
            "comment": h.comment,
        })).collect::<Vec<_>>(),
    });
    if status == ApplicationStatus::AwaitingOtp {
        v["otp"] = otp(app, policy, now);
    }
    if matches!(
        status,
        ApplicationStatus::Rejected | ApplicationStatus::DocumentsRequired
    ) {
        v["support"] =
            json!({ "reference": app.id, "phone": support.phone, "email": support.email });
    }
    v
}

pub fn number(stored: &StoredNumber, lang: Lang) -> Value {
    let lock = &stored.lock;
    json!({
        "phone": lock.phone.as_ref(),
        "state": lock.state.as_str(),
        "state_label": lock.state.label(lang.is_english()),
        "organization_inn": lock.organization_inn.as_ref(),
        "employee": {
            "snils_masked": lock.employee.snils.masked(),
            "full_name": lock.employee.full_name.as_ref(),
        },
        "application_id": lock.application_id,
        "updated_at": ts(lock.updated_at),
        "version": lock.binding_version(),
        "history": stored.history.iter().map(|e| json!({
            "at": ts(e.at),
            "from": e.from.map(|s| s.as_str()),
            "to": e.to.as_str(),
            "actor": e.actor.to_string(),
            "application_id": e.application_id,
            "comment": e.comment,
            "act": e.act.as_ref().map(act),
        })).collect::<Vec<_>>(),
    })
}

pub fn deactivation_requested(
    codes: &NumberCodes,
    request: &NumberRequest,
    policy: &OtpPolicy,
    now: DateTime<Utc>,
) -> Value {
    let NumberAction::Deactivate { reason, .. } = &request.action;
    json!({
        "deactivation_id": request.id,
        "phone": codes.phone.as_ref(),
        "reason": reason.as_str(),
        "otp": ledger(&codes.ledger, policy, now),
    })
}

pub fn act(a: &DeactivationAct) -> Value {
    json!({
        "act_number": a.act_number,
        "phone": a.phone.as_ref(),
        "organization_inn": a.organization_inn.as_ref(),
        "reason": a.reason.as_str(),
        "deactivated_at": ts(a.deactivated_at),
        "deactivated_by": a.deactivated_by,
    })
}

pub fn reviews(page: &Page<Application>, now: DateTime<Utc>) -> Value {
    json!({
        "items": page.items.iter().map(|app| {
            json!({
                "id": app.id,
                "status": app.status.as_str(),
                "phone": app.phone.as_ref(),
                "organization": { "inn": app.organization.inn.as_ref(), "name": app.organization.name.as_ref() },
                "submitted_at": ts(app.created_at),
                "entered_at": ts(app.status_since),
                "waited_seconds": (now - app.status_since).num_seconds().max(0),
                "sla_due_at": opt_ts(app.sla_due_at()),
                "overdue": app.is_overdue(now),
                "documents_due_at": opt_ts(app.documents_due_at()),
                "has_signature": app.signature.is_some(),
                "documents": app.documents.iter().map(|d| d.doc_type.as_str()).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
        "next_cursor": page.next,
    })
}
