//! The free-text rule, one for every way text gets into the log — a typed command, an operator
//! name (flag, `$SWITCHBOARD_OPERATOR`, `$USER`, an attached console's request), a peer's
//! events — and the escape every text output applies on the way out.
//!
//! Refused in free text: control characters (ESC would drive the terminal that prints the log,
//! a newline would forge a line of it), bidirectional overrides and isolates (U+202A–202E,
//! U+2066–2069, and the marks U+200E/U+200F), zero-width characters (U+200B–200D, U+2060,
//! U+FEFF) and the soft hyphen (U+00AD): each makes text read differently from what it is.

use std::borrow::Cow;

use super::event::Event;

/// Longest free text (a note, a nature, a location) a dispatcher can enter at once; keeps every
/// event well under the store's 6 KiB cap.
pub const MAX_TEXT_BYTES: usize = 2000;

/// The longest operator name, in bytes.
pub const MAX_OPERATOR_BYTES: usize = 64;

/// True for a character free text may not hold.
pub fn forbidden(c: char) -> bool {
    c.is_control() || invisible(c)
}

/// Characters that are not control characters but change or hide what a reader sees.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{00AD}'
    )
}

/// Why `text` breaks the free-text rule, if it does: `what` names the field.
pub fn check(what: &str, text: &str, limit: usize) -> Result<(), String> {
    if text.len() > limit {
        return Err(format!(
            "{what} is {} bytes; the limit is {limit}",
            text.len()
        ));
    }
    if let Some(c) = text.chars().find(|&c| forbidden(c)) {
        let kind = if c.is_control() {
            "control characters"
        } else {
            "invisible or direction-changing characters"
        };
        return Err(format!(
            "{what} contains {kind} (U+{:04X}); type plain text",
            c as u32
        ));
    }
    Ok(())
}

/// An operator name as stamped on every change: 1–64 bytes of plain text.
pub fn check_operator(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("the operator name is empty; pass --operator NAME".into());
    }
    check("the operator name", name, MAX_OPERATOR_BYTES)
        .map_err(|e| format!("{e} (set it with --operator or SWITCHBOARD_OPERATOR)"))
}

/// Checks an event from elsewhere (a peer) as strictly as one this desk would make: the
/// operator name, and every string anywhere in its body, by the free-text rule.
pub fn check_event(e: &Event) -> Result<(), String> {
    check_operator(&e.operator).map_err(|why| format!("{}:{}: {why}", e.origin, e.seq))?;
    if let Some(user) = &e.os_user {
        check("the OS user", user, MAX_OPERATOR_BYTES)
            .map_err(|why| format!("{}:{}: {why}", e.origin, e.seq))?;
    }
    // Every body is plain structs of strings and numbers; one that will not render as JSON has
    // nothing this walk could check.
    let Ok(body) = serde_json::to_value(&e.body) else {
        return Ok(());
    };
    let mut bad = None;
    walk(&body, &mut |s| {
        if bad.is_none() {
            bad = check("a text field", s, MAX_TEXT_BYTES).err();
        }
    });
    match bad {
        Some(why) => Err(format!("{}:{}: {why}", e.origin, e.seq)),
        None => Ok(()),
    }
}

fn walk(v: &serde_json::Value, f: &mut impl FnMut(&str)) {
    match v {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
        serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| {
            f(k);
            walk(x, f);
        }),
        _ => {}
    }
}

/// Text made safe to print: every control character but a line break, and every character
/// [`forbidden`] in free text, is shown as `\u{…}` instead of being sent to the terminal or
/// the file. Text that needs nothing is returned as is.
pub fn escape(text: &str) -> Cow<'_, str> {
    escaped(text, |c| c != '\n' && forbidden(c))
}

/// Like [`escape`], and a line break too: for one field of one line (a CSV cell, a log line).
pub fn escape_line(text: &str) -> Cow<'_, str> {
    escaped(text, forbidden)
}

fn escaped(text: &str, shown: impl Fn(char) -> bool) -> Cow<'_, str> {
    use std::fmt::Write as _;
    if !text.chars().any(&shown) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if shown(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A span of time in words for a message: `3 s`, `12 min`, `5 h`, `40 days`, `584942417 years`.
pub fn span(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=119 => format!("{s} s"),
        120..=7_199 => format!("{} min", s / 60),
        7_200..=172_799 => format!("{} h", s / 3600),
        172_800..=63_071_999 => format!("{} days", s / 86_400),
        _ => format!("{} years", s / 31_536_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_refuses_what_spoofs_a_reader() {
        for bad in [
            "a\u{1b}]2;x\u{7}",
            "pills\u{202E}lanoitcnuf",
            "x\u{2066}y",
            "zero\u{200B}width",
            "soft\u{AD}hyphen",
            "bom\u{FEFF}",
            "two\nlines",
        ] {
            assert!(check("note", bad, 100).is_err(), "{bad:?} passed");
        }
        assert!(check("note", "Café, 3rd floor — rear door", 100).is_ok());
        assert!(check("note", &"x".repeat(101), 100).is_err());
    }

    #[test]
    fn operator_names_follow_the_rule() {
        assert!(check_operator("ct-x\u{1b}]2;PWNED\u{7}").is_err());
        assert!(check_operator("").is_err());
        assert!(check_operator(&"a".repeat(65)).is_err());
        assert!(check_operator("María O'Neil").is_ok());
    }

    #[test]
    fn escape_shows_control_characters() {
        assert_eq!(escape("a\u{1b}[2Kb\n"), "a\\u{1b}[2Kb\n");
        assert_eq!(escape_line("a\nb\u{202E}"), "a\\u{a}b\\u{202e}");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }
}
