//! The real clock and randomness.

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::rngs::OsRng;
use uuid::Uuid;

use crate::domain::OtpCode;
use crate::ports::{Clock, Random};

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Codes and ids from the operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Random for OsRandom {
    fn otp_code(&self) -> OtpCode {
        // Uniform below one million (gen_range rejects the biased tail).
        OtpCode::from_random(OsRng.gen_range(0..1_000_000))
    }

    fn uuid(&self) -> Uuid {
        uuid::Builder::from_random_bytes(OsRng.r#gen()).into_uuid()
    }
}
