//! "Did you mean": the known word nearest to a mistyped one, for every error message that names
//! a command, key, scope, colour, question or field.

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
