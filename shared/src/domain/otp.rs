//! One-time SMS codes (SPEC 4.4 and 6): generation, keyed hashing, and the attempt,
//! lifetime and resend rules, all against an injected clock.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A 6-digit code. Its `Debug` never shows the digits, so it cannot leak through logs.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the code must be exactly 6 digits")]
pub struct OtpCodeError;

impl OtpCode {
    pub fn parse(input: &str) -> Result<Self, OtpCodeError> {
        if input.len() == 6 && input.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(OtpCodeError)
        }
    }

    /// A code from a uniformly random number below one million.
    pub fn from_random(value: u32) -> Self {
        Self(format!("{:06}", value % 1_000_000))
    }

    /// The digits, for the SMS text only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpCode(******)")
    }
}

/// What a code confirms; part of the hashed message so a code for one purpose never
/// works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpPurpose {
    Activation,
    Deactivation,
    Suspension,
    Resumption,
}

impl OtpPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::Deactivation => "deactivation",
            Self::Suspension => "suspension",
            Self::Resumption => "resumption",
        }
    }
}

/// The server secret codes are hashed under. Never printed.
#[derive(Clone)]
pub struct OtpSecret(Vec<u8>);

impl OtpSecret {
    /// At least 16 bytes, so a short or empty configuration value is refused at start-up.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Option<Self> {
        let bytes = bytes.into();
        (bytes.len() >= 16).then_some(Self(bytes))
    }

    /// HMAC-SHA256 over (purpose, subject, code), length-prefixed so fields cannot run together.
    pub fn digest(&self, purpose: OtpPurpose, subject: &str, code: &OtpCode) -> String {
        hex::encode(self.mac(purpose, subject, code))
    }

    fn mac(&self, purpose: OtpPurpose, subject: &str, code: &OtpCode) -> [u8; 32] {
        #[allow(clippy::expect_used)] // HMAC accepts keys of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        for part in [purpose.as_str(), subject, code.expose()] {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// Constant-time comparison of `code` against a stored digest.
    pub fn matches(
        &self,
        purpose: OtpPurpose,
        subject: &str,
        code: &OtpCode,
        digest: &str,
    ) -> bool {
        let Ok(stored) = hex::decode(digest) else {
            return false;
        };
        let computed = self.mac(purpose, subject, code);
        stored.len() == computed.len() && bool::from(computed.ct_eq(&stored[..]))
    }
}

impl std::fmt::Debug for OtpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpSecret(..)")
    }
}

/// The limits of SPEC 4.4, configurable; `Default` gives the SPEC's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpPolicy {
    pub lifetime: Duration,
    pub attempts_per_code: u32,
    pub attempts_total: u32,
    pub resend_cooldown: Duration,
    pub sends_per_subject: u32,
    pub sends_per_phone_per_day: u32,
    pub applications_per_org_per_day: u32,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        Self {
            lifetime: Duration::minutes(5),
            attempts_per_code: 3,
            attempts_total: 10,
            resend_cooldown: Duration::seconds(120),
            sends_per_subject: 5,
            sends_per_phone_per_day: 10,
            applications_per_org_per_day: 50,
        }
    }
}

/// Whether the last SMS reached the SMS service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Sent,
    Failed,
}

/// The code currently outstanding, as its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpChallenge {
    pub digest: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub wrong_attempts: u32,
    /// Spent by too many wrong tries; even the right code no longer works.
    pub spent: bool,
}

/// Codes sent for one subject (an application or a deactivation) and the tries made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpLedger {
    pub challenge: Option<OtpChallenge>,
    pub sends: u32,
    pub last_sent_at: Option<DateTime<Utc>>,
    pub delivery: Delivery,
    pub wrong_total: u32,
}

/// The result of checking a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Correct,
    Wrong {
        attempts_left: u32,
    },
    /// This code is spent; a new one must be requested.
    AttemptsExceeded,
    /// Too many wrong codes in total: the subject is locked for good.
    Locked,
    Expired,
}

/// Why a new code is not sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResendRefusal {
    TooEarly { retry_after: Duration },
    SendLimit,
    Locked,
}

impl OtpLedger {
    /// A ledger no code was sent from yet.
    pub fn empty() -> Self {
        Self {
            challenge: None,
            sends: 0,
            last_sent_at: None,
            delivery: Delivery::Sent,
            wrong_total: 0,
        }
    }

    /// A ledger for a code just issued at `now`.
    pub fn first(digest: String, now: DateTime<Utc>, policy: &OtpPolicy) -> Self {
        let mut ledger = Self::empty();
        ledger.replace(digest, now, policy);
        ledger
    }

    pub fn is_locked(&self, policy: &OtpPolicy) -> bool {
        self.wrong_total >= policy.attempts_total
    }

    /// Checks whether another code may be sent at `now`.
    pub fn check_resend(
        &self,
        now: DateTime<Utc>,
        policy: &OtpPolicy,
    ) -> Result<(), ResendRefusal> {
        if self.is_locked(policy) {
            return Err(ResendRefusal::Locked);
        }
        if self.sends >= policy.sends_per_subject {
            return Err(ResendRefusal::SendLimit);
        }
        if let Some(available) = self.resend_available_at(policy)
            && now < available
        {
            return Err(ResendRefusal::TooEarly {
                retry_after: available - now,
            });
        }
        Ok(())
    }

    /// When a resend becomes possible; a failed delivery may be retried at once.
    pub fn resend_available_at(&self, policy: &OtpPolicy) -> Option<DateTime<Utc>> {
        match (self.delivery, self.last_sent_at) {
            (Delivery::Sent, Some(at)) => Some(at + policy.resend_cooldown),
            _ => None,
        }
    }

    /// Puts a new code in place of the old one (which stops working).
    pub fn replace(&mut self, digest: String, now: DateTime<Utc>, policy: &OtpPolicy) {
        self.challenge = Some(OtpChallenge {
            digest,
            issued_at: now,
            expires_at: now + policy.lifetime,
            wrong_attempts: 0,
            spent: false,
        });
        self.sends += 1;
        self.last_sent_at = Some(now);
        self.delivery = Delivery::Sent;
    }

    /// Records that the SMS for the current code could not be handed to the SMS service.
    pub fn mark_delivery_failed(&mut self) {
        self.delivery = Delivery::Failed;
    }

    /// Tries to use a code. `matches` compares it with the stored digest (in constant time).
    /// A correct code spends the challenge; a wrong one is counted.
    pub fn verify(
        &mut self,
        now: DateTime<Utc>,
        policy: &OtpPolicy,
        matches: impl FnOnce(&str) -> bool,
    ) -> Verification {
        if self.is_locked(policy) {
            return Verification::Locked;
        }
        let Some(challenge) = self.challenge.as_mut() else {
            return Verification::AttemptsExceeded;
        };
        if challenge.spent {
            return Verification::AttemptsExceeded;
        }
        if now >= challenge.expires_at {
            return Verification::Expired;
        }
        if matches(&challenge.digest) {
            challenge.spent = true;
            return Verification::Correct;
        }
        challenge.wrong_attempts += 1;
        self.wrong_total += 1;
        if self.wrong_total >= policy.attempts_total {
            challenge.spent = true;
            return Verification::Locked;
        }
        if challenge.wrong_attempts >= policy.attempts_per_code {
            challenge.spent = true;
            return Verification::AttemptsExceeded;
        }
        Verification::Wrong {
            attempts_left: self.attempts_left(policy),
        }
    }

    /// Tries left on the current code, never more than remain in total.
    pub fn attempts_left(&self, policy: &OtpPolicy) -> u32 {
        let on_code = match &self.challenge {
            Some(c) if !c.spent => policy.attempts_per_code.saturating_sub(c.wrong_attempts),
            _ => 0,
        };
        on_code.min(policy.attempts_total.saturating_sub(self.wrong_total))
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.challenge.as_ref().map(|c| c.expires_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn secret() -> OtpSecret {
        OtpSecret::new(b"0123456789abcdef0123".to_vec()).unwrap()
    }

    fn ledger(code: &str) -> (OtpLedger, OtpPolicy) {
        let policy = OtpPolicy::default();
        let digest = secret().digest(
            OtpPurpose::Activation,
            "app-1",
            &OtpCode::parse(code).unwrap(),
        );
        (OtpLedger::first(digest, t0(), &policy), policy)
    }

    fn attempt(l: &mut OtpLedger, p: &OtpPolicy, code: &str, at: DateTime<Utc>) -> Verification {
        let code = OtpCode::parse(code).unwrap();
        l.verify(at, p, |d| {
            secret().matches(OtpPurpose::Activation, "app-1", &code, d)
        })
    }

    #[test]
    fn code_format() {
        assert!(OtpCode::parse("012345").is_ok());
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"] {
            assert!(OtpCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(OtpCode::from_random(42).expose(), "000042");
        assert_eq!(
            format!("{:?}", OtpCode::parse("123456").unwrap()),
            "OtpCode(******)"
        );
    }

    #[test]
    fn digest_binds_purpose_subject_and_code() {
        let s = secret();
        let code = OtpCode::parse("123456").unwrap();
        let d = s.digest(OtpPurpose::Activation, "app-1", &code);
        assert!(s.matches(OtpPurpose::Activation, "app-1", &code, &d));
        assert!(!s.matches(OtpPurpose::Deactivation, "app-1", &code, &d));
        assert!(!s.matches(OtpPurpose::Activation, "app-2", &code, &d));
        assert!(!s.matches(
            OtpPurpose::Activation,
            "app-1",
            &OtpCode::parse("123457").unwrap(),
            &d
        ));
        let other = OtpSecret::new(b"another-secret-of-length".to_vec()).unwrap();
        assert!(!other.matches(OtpPurpose::Activation, "app-1", &code, &d));
        assert!(!d.contains("123456"));
        assert!(OtpSecret::new(b"short".to_vec()).is_none());
    }

    #[test]
    fn correct_code_is_single_use() {
        let (mut l, p) = ledger("111111");
        assert_eq!(attempt(&mut l, &p, "111111", t0()), Verification::Correct);
        assert_eq!(
            attempt(&mut l, &p, "111111", t0()),
            Verification::AttemptsExceeded
        );
    }

    #[test]
    fn third_wrong_try_spends_the_code() {
        let (mut l, p) = ledger("111111");
        assert_eq!(
            attempt(&mut l, &p, "000000", t0()),
            Verification::Wrong { attempts_left: 2 }
        );
        assert_eq!(
            attempt(&mut l, &p, "000000", t0()),
            Verification::Wrong { attempts_left: 1 }
        );
        assert_eq!(
            attempt(&mut l, &p, "000000", t0()),
            Verification::AttemptsExceeded
        );
        assert_eq!(
            attempt(&mut l, &p, "111111", t0()),
            Verification::AttemptsExceeded
        );
    }

    #[test]
    fn code_expires_after_five_minutes() {
        let (mut l, p) = ledger("111111");
        let late = t0() + Duration::minutes(5);
        assert_eq!(
            attempt(&mut l, &p, "111111", late - Duration::seconds(1)),
            Verification::Correct
        );
        let (mut l, p) = ledger("111111");
        assert_eq!(attempt(&mut l, &p, "111111", late), Verification::Expired);
    }

    #[test]
    fn ten_wrong_codes_lock_for_good() {
        let (mut l, p) = ledger("111111");
        let mut now = t0();
        let mut outcomes = Vec::new();
        for round in 0..4 {
            if round > 0 {
                now += p.resend_cooldown;
                assert_eq!(l.check_resend(now, &p), Ok(()));
                let d = secret().digest(
                    OtpPurpose::Activation,
                    "app-1",
                    &OtpCode::parse("111111").unwrap(),
                );
                l.replace(d, now, &p);
            }
            for _ in 0..3 {
                outcomes.push(attempt(&mut l, &p, "000000", now));
                if l.is_locked(&p) {
                    break;
                }
            }
        }
        assert_eq!(outcomes.len(), 10);
        assert_eq!(outcomes.last(), Some(&Verification::Locked));
        assert_eq!(attempt(&mut l, &p, "111111", now), Verification::Locked);
        assert_eq!(
            l.check_resend(now + Duration::hours(1), &p),
            Err(ResendRefusal::Locked)
        );
    }

    #[test]
    fn resend_cooldown_and_limit() {
        let (mut l, p) = ledger("111111");
        assert_eq!(
            l.check_resend(t0() + Duration::seconds(30), &p),
            Err(ResendRefusal::TooEarly {
                retry_after: Duration::seconds(90)
            })
        );
        let mut now = t0();
        for _ in 1..p.sends_per_subject {
            now += p.resend_cooldown;
            assert_eq!(l.check_resend(now, &p), Ok(()));
            l.replace("d".into(), now, &p);
        }
        now += p.resend_cooldown;
        assert_eq!(l.check_resend(now, &p), Err(ResendRefusal::SendLimit));
    }

    #[test]
    fn failed_delivery_can_be_retried_at_once() {
        let (mut l, p) = ledger("111111");
        l.mark_delivery_failed();
        assert_eq!(l.check_resend(t0(), &p), Ok(()));
        assert_eq!(l.resend_available_at(&p), None);
    }
}
