//! Scrubbing personal data out of text the service did not write itself (a dependency's
//! error message can echo the phone number it was given), before it reaches a log.

/// Fewest digits in a run that could be a phone number (10 national digits) or a SNILS
/// (11); shorter runs (codes, counts, years) are left alone.
const MIN_DIGITS: usize = 9;

/// Digits a person or a service may put between the digits of one number.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{a0}')
}

/// `text` with every run of at least nine digits (one or two separators allowed between
/// digits, as in `+7 (916) 123-45-67` or `112-233-445 95`) masked but for its last four digits.
pub fn scrub(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, with single separators between digits.
        let start = i;
        let mut end = i;
        let mut j = i;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                end = j + 1;
                j += 1;
            } else {
                // At most two separators in a row (`8 (916)`), then a digit again.
                let gap = chars[j..]
                    .iter()
                    .take(3)
                    .take_while(|c| is_separator(**c))
                    .count();
                if (1..=2).contains(&gap) && chars.get(j + gap).is_some_and(char::is_ascii_digit) {
                    j += gap;
                } else {
                    break;
                }
            }
        }
        let run = &chars[start..end];
        let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
        if digits >= MIN_DIGITS {
            let mut seen = 0;
            for c in run {
                if c.is_ascii_digit() {
                    seen += 1;
                    out.push(if digits - seen < 4 { *c } else { '*' });
                } else {
                    out.push(*c);
                }
            }
        } else {
            out.extend(run);
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::scrub;
    use proptest::prelude::*;

    #[test]
    fn numbers_in_any_spelling_are_masked() {
        for (input, expected) in [
            (
                "Invalid parameter: PhoneNumber Reason: +79161234567 is not valid",
                "Invalid parameter: PhoneNumber Reason: +*******4567 is not valid",
            ),
            ("to 8 (916) 123-45-67.", "to * (***) ***-45-67."),
            ("snils 112-233-445 95", "snils ***-***-*45 95"),
            ("raw 11223344595", "raw *******4595"),
            ("9161234567", "******4567"),
        ] {
            assert_eq!(scrub(input), expected, "{input}");
        }
    }

    #[test]
    fn short_numbers_and_plain_text_are_kept() {
        for input in [
            "ConditionalCheckFailed: 3 of 7 items",
            "code 123456 expired",
            "timed out after 30000 ms",
            "Количество: 12345678",
            "",
        ] {
            assert_eq!(scrub(input), input);
        }
    }

    proptest! {
        /// Whatever surrounds it, a phone number never survives, in any of its spellings.
        #[test]
        fn no_phone_survives(prefix in "[a-zA-Zа-я :,]{0,20}", national in "9[0-9]{9}", suffix in "[a-zA-Zа-я :,]{0,20}") {
            for spelling in [
                format!("+7{national}"),
                format!("8{national}"),
                format!("+7 ({}) {}-{}-{}", &national[..3], &national[3..6], &national[6..8], &national[8..]),
            ] {
                let scrubbed = scrub(&format!("{prefix}{spelling}{suffix}"));
                prop_assert!(!scrubbed.contains(&national[..6]), "{scrubbed}");
                prop_assert!(!scrubbed.replace([' ', '(', ')', '-'], "").contains(&national[..6]));
            }
        }
    }
}
