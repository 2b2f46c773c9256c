//! The texts of the SMS the service sends, and how many billable segments a text takes.
//!
//! Every text fits one segment (SPEC 6): a Cyrillic SMS is sent in UCS-2, which holds 70
//! characters in one segment and 67 in each part of a longer one; a GSM-7 (Latin) SMS holds
//! 160, or 153 per part. A second segment doubles what the carrier bills.

use super::{NoticeKind, OtpCode, OtpPurpose, PhoneNumber, RejectionReason};

/// The code SMS for `purpose`. The code is its only secret; the warning not to share it
/// stays in every variant.
pub fn code_sms(purpose: OtpPurpose, code: &OtpCode) -> String {
    let action = match purpose {
        OtpPurpose::Activation => " для привязки",
        OtpPurpose::Deactivation => " для отключения",
        // «для приостановки» would not fit one segment.
        OtpPurpose::Suspension => ", приостановка",
        OtpPurpose::Resumption => ", включение",
    };
    format!(
        "Госуслуги: код {}{action} корп. номера. Никому не сообщайте",
        code.expose()
    )
}

/// The notice an application's number gets when its review ends (SPEC 5.6): the outcome,
/// and for a rejection or a documents request the application's reference to quote.
pub fn notice_sms(
    kind: NoticeKind,
    phone: &PhoneNumber,
    reference: &str,
    reason: Option<RejectionReason>,
) -> String {
    match kind {
        NoticeKind::Approved => format!("Госуслуги: корп. номер {} активирован", phone.as_ref()),
        NoticeKind::Rejected => format!(
            "Госуслуги: заявка {reference} отклонена: {}",
            reason.map_or("см. портал", RejectionReason::sms_label)
        ),
        NoticeKind::DocumentsRequired => {
            format!("Госуслуги: по заявке {reference} нужны документы. Срок 30 дней")
        }
    }
}

/// The code a code SMS carries (the six digits after «код»); `None` for any other SMS.
pub fn code_in_sms(text: &str) -> Option<String> {
    // Only a code SMS: a notice may carry six digits in its reference (`ЗКН-628717E2`).
    let (_, rest) = text.split_once("Госуслуги: код ")?;
    let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (code.len() == 6).then_some(code)
}

/// GSM 03.38 basic character set.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1b}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension table: each of these takes two septets.
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// The number of segments `text` is sent in.
pub fn sms_segments(text: &str) -> usize {
    let septets: Option<usize> = text
        .chars()
        .map(|c| {
            if GSM7_BASIC.contains(c) {
                Some(1)
            } else if GSM7_EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (length, single, part) = match septets {
        Some(septets) => (septets, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    if length <= single {
        1
    } else {
        length.div_ceil(part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_is_one_segment() {
        let phone = PhoneNumber::parse("+79161234567").unwrap();
        let reference = crate::domain::Application::reference_for(uuid::Uuid::max());
        let mut texts = vec![
            notice_sms(NoticeKind::Approved, &phone, &reference, None),
            notice_sms(NoticeKind::DocumentsRequired, &phone, &reference, None),
            notice_sms(NoticeKind::Rejected, &phone, &reference, None),
        ];
        for reason in RejectionReason::ALL {
            texts.push(notice_sms(
                NoticeKind::Rejected,
                &phone,
                &reference,
                Some(reason),
            ));
        }
        for text in &texts {
            assert_eq!(
                sms_segments(text),
                1,
                "{text} ({} chars)",
                text.chars().count()
            );
            assert!(text.starts_with("Госуслуги: "), "{text}");
        }
        assert!(texts[0].contains("+79161234567 активирован"));
        assert!(texts[2].contains(&reference));
        assert!(texts.iter().any(|t| t.ends_with("подпись недействительна")));
        let six_digits_in_the_reference = notice_sms(
            NoticeKind::Rejected,
            &phone,
            "ЗКН-628717E2",
            Some(RejectionReason::Other),
        );
        assert_eq!(
            code_in_sms(&six_digits_in_the_reference),
            None,
            "a notice is no code"
        );
    }

    #[test]
    fn segments_follow_the_encodings() {
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"a".repeat(306)), 2);
        assert_eq!(
            sms_segments(&"[".repeat(80)),
            1,
            "extension characters take two septets"
        );
        assert_eq!(sms_segments(&"[".repeat(81)), 2);
        assert_eq!(sms_segments(&"ж".repeat(70)), 1);
        assert_eq!(sms_segments(&"ж".repeat(71)), 2);
        assert_eq!(
            sms_segments(&format!("{}ж", "a".repeat(69))),
            1,
            "one Cyrillic letter makes it UCS-2"
        );
        assert_eq!(sms_segments(&format!("{}ж", "a".repeat(70))), 2);
        assert_eq!(sms_segments(&"ж".repeat(134)), 2);
        assert_eq!(sms_segments(&"ж".repeat(135)), 3);
    }

    /// Every code SMS is one segment and keeps its warning; the code is always six digits.
    #[test]
    fn every_code_sms_is_one_segment() {
        let code = OtpCode::parse("999999").unwrap();
        for purpose in [
            OtpPurpose::Activation,
            OtpPurpose::Deactivation,
            OtpPurpose::Suspension,
            OtpPurpose::Resumption,
        ] {
            let text = code_sms(purpose, &code);
            assert_eq!(
                sms_segments(&text),
                1,
                "{text} ({} characters)",
                text.chars().count()
            );
            assert!(text.contains("999999"), "{text}");
            assert!(text.contains("Никому не сообщайте"), "{text}");
            assert_eq!(code_in_sms(&text).as_deref(), Some("999999"));
        }
    }
}
