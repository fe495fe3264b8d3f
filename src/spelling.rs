//! "Did you mean": the known word nearest to a mistyped one, for every error message that names
//! a command, key, scope, colour, question or field; and TOML errors in the same words.

/// The candidate closest to `word` (ignoring case) if it is close enough to be a typo: at most
/// a third of the word's length in edits (and at least 2 allowed), and at most half of the
/// candidate. Ties go to the longer shared start (`PgDown` is `PageDown`, not `Down`).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| {
            let lower = c.to_lowercase();
            let shared = word
                .chars()
                .zip(lower.chars())
                .take_while(|(a, b)| a == b)
                .count();
            (
                strsim::levenshtein(&word, &lower),
                std::cmp::Reverse(shared),
                c,
            )
        })
        .filter(|&(d, _, c)| d <= limit && d * 2 <= c.chars().count())
        .min_by_key(|&(d, shared, _)| (d, shared))
        .map(|(_, _, c)| c)
}

/// The word meant by a typo: the one candidate the typed word begins (`hosp` → `hospital`), else
/// the [`nearest`] one.
pub fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    if lower.chars().count() >= 2 {
        let mut starting = candidates
            .clone()
            .into_iter()
            .filter(|c| c.to_lowercase().starts_with(&lower));
        if let (Some(one), None) = (starting.next(), starting.next()) {
            return Some(one);
        }
    }
    nearest(word, candidates)
}

/// "did you mean 'x'?" for a suggestion, if there is one.
pub fn did_you_mean(candidate: Option<&str>) -> Option<String> {
    candidate.map(|c| format!("did you mean '{c}'?"))
}

/// A toml/serde error message in the words our config errors use: "unknown key 'x'; did you
/// mean 'y'?", "missing key 'x'", "bad value: …", "TOML syntax error: …".
pub fn toml_message(message: &str) -> String {
    let message = message.trim().replace('\n', "; ");
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((key, expected)) = rest.split_once('`') {
            let expected: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            let help = did_you_mean(nearest(key, expected.iter().copied()))
                .unwrap_or_else(|| format!("expected {}", expected.join(", ")));
            return format!("unknown key '{key}'; {help}");
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        if let Some((key, _)) = rest.split_once('`') {
            return format!("missing key '{key}'");
        }
    }
    let is_value = ["invalid type", "invalid value", "invalid length"]
        .iter()
        .any(|p| message.starts_with(p));
    if is_value {
        format!("bad value: {message}")
    } else {
        format!("TOML syntax error: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn suggests_only_plausible_words() {
        assert_eq!(
            nearest("dispach", ["dispatch", "de", "dp"]),
            Some("dispatch")
        );
        assert_eq!(
            nearest("PgDown", ["Down", "PageDown", "PageUp"]),
            Some("PageDown")
        );
        assert_eq!(
            nearest("queue.rwo", ["queue.row", "queue"]),
            Some("queue.row")
        );
        assert_eq!(nearest("zzz", ["weapon", "where"]), None);
        assert_eq!(nearest("x", ["dp"]), None);
    }
}
