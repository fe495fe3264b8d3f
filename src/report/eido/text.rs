//! Text in and out of EIDO documents: times, ids made of names, HTML notes, phone numbers, and
//! the desk's rules for free text applied to what a sender wrote.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat};

use crate::domain::text::MAX_TEXT_BYTES;

/// RFC 3339 in UTC with milliseconds.
pub(super) fn time(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A sender's RFC 3339 time as milliseconds; `None` when it is not one (no time zone, say).
pub(super) fn read_time(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Percent-encodes everything but unreserved URI characters, for ids made of names.
pub(super) fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub(super) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `tel:` URI for a callback that is a phone number (digits, an optional leading `+`, and the
/// visual separators `-`, `.`, `(`, `)` and spaces, which are dropped if spaces).
pub(super) fn tel_uri(callback: &str) -> Option<String> {
    let number: String = callback.chars().filter(|c| *c != ' ').collect();
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let body = number.strip_prefix('+').unwrap_or(&number);
    let ok = digits >= 3
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | '(' | ')'));
    ok.then(|| format!("tel:{number}"))
}

/// Free text as the desk takes it: line breaks and tabs become spaces (runs of white space
/// shrink to one), other control characters — and the invisible bidirectional overrides that
/// can make text read differently from what it is — are refused, and the result must fit the
/// desk's limit.
pub(super) fn clean(what: &str, raw: &str, limit: usize) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len().min(limit + 1));
    let mut space = false;
    for c in raw.chars() {
        if matches!(c, '\t' | '\n' | '\r') || c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if crate::domain::text::forbidden(c) {
            return Err(format!("{what} contains control characters"));
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    if out.len() > limit {
        return Err(format!(
            "{what} is {} bytes; the limit is {limit}",
            out.len()
        ));
    }
    Ok(out)
}

/// What a sender typed, quoted and cut short for a message.
pub(super) fn quoted(s: &str) -> String {
    let shown: String = s.chars().take(32).filter(|c| !c.is_control()).collect();
    if s.chars().count() > 32 {
        format!("'{shown}…'")
    } else {
        format!("'{shown}'")
    }
}

/// Decodes the named entities HTML and XML share, and numeric ones.
pub(super) fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or(name.strip_prefix("#X"))
                    .map(|h| u32::from_str_radix(h, 16))
                    .or(name.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        if let Some((c, e)) = decoded {
            out.push(c);
            rest = &after[e + 1..];
        } else {
            out.push('&');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A note's HTML as plain text: tags dropped (those that break a line — `<br>`, `<p>`, `<div>`,
/// `<li>`… — become spaces), entities decoded; the result is checked like any other text.
pub(super) fn html_to_text(html: &str) -> String {
    const BREAKS: &[&str] = &[
        "br",
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "tr",
        "td",
        "th",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
    ];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        let looks_like_tag =
            after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        if let Some(gt) = after.find('>').filter(|_| looks_like_tag) {
            let name: String = after[..gt]
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            if BREAKS.contains(&name.as_str()) {
                out.push(' ');
            }
            rest = &after[gt + 1..];
        } else {
            out.push('<');
            rest = after;
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

/// The number to call back among `uris`: a `tel:` URI's number (without parameters), else a
/// `sip:` URI as given.
pub(super) fn callback_from(uris: &[&str], what: &str) -> Result<Option<String>, String> {
    if let Some(tel) = uris.iter().find_map(|u| {
        u.trim()
            .strip_prefix("tel:")
            .or(u.trim().strip_prefix("TEL:"))
    }) {
        let number = tel.split(';').next().unwrap_or(tel);
        return clean(what, number, MAX_TEXT_BYTES).map(|n| Some(n).filter(|n| !n.is_empty()));
    }
    if let Some(sip) = uris.iter().find(|u| {
        let u = u.trim().to_ascii_lowercase();
        u.starts_with("sip:") || u.starts_with("sips:")
    }) {
        return clean(what, sip, MAX_TEXT_BYTES).map(|n| Some(n).filter(|n| !n.is_empty()));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::MAX_TEXT_BYTES;

    #[test]
    fn callbacks_that_are_numbers_become_tel_uris() {
        assert_eq!(tel_uri("555-0101").as_deref(), Some("tel:555-0101"));
        assert_eq!(
            tel_uri("+1 (303) 555-0142").as_deref(),
            Some("tel:+1(303)555-0142")
        );
        assert_eq!(tel_uri("ask for the front desk"), None);
        assert_eq!(tel_uri("12"), None);
        assert_eq!(tel_uri("555+0101"), None);
    }

    #[test]
    fn html_notes_become_plain_text() {
        assert_eq!(
            decode_entities("&amp;&lt;&#65;&#x42;&bogus;&#xD800;&"),
            "&<AB&bogus;&#xD800;&"
        );
        let text = html_to_text("<p>one</p><p>two</p>un<b>us</b>ual &lt;b&gt; 3 < 4");
        assert_eq!(
            clean("note", &text, MAX_TEXT_BYTES).as_deref(),
            Ok("one two unusual <b> 3 < 4")
        );
    }

    #[test]
    fn text_is_held_to_the_desks_rules() {
        assert_eq!(clean("x", "  a\tb\r\n c  ", 10).as_deref(), Ok("a b c"));
        assert_eq!(
            clean("x", "a\u{7}b", 10),
            Err("x contains control characters".to_owned())
        );
        assert_eq!(
            clean("x", "a\u{202E}b", 10),
            Err("x contains control characters".to_owned())
        );
        assert_eq!(
            clean("x", &"é".repeat(6), 10),
            Err("x is 12 bytes; the limit is 10".to_owned())
        );
        // An entity that decodes to a control character is still refused.
        assert!(clean("x", &html_to_text("a&#27;[2J"), 10).is_err());
    }

    #[test]
    fn times_without_a_zone_are_not_read() {
        assert_eq!(read_time("2021-04-30T18:40:00.0Z"), Some(1_619_808_000_000));
        assert_eq!(
            read_time("2021-04-30T14:40:00.0-04:00"),
            Some(1_619_808_000_000)
        );
        assert_eq!(read_time("2021-04-30T18:40:00.0"), None);
    }
}
