//! Text the console shows, formatted without a terminal: wall-clock times and wrapped rows.
//! The app and the view both use these; neither owns them.

/// Hours and minutes of a wall-clock time, in the operator's zone (UTC in tests, so snapshots
/// do not depend on where they run).
pub fn hhmm(utc: bool, ms: i64) -> String {
    use chrono::TimeZone;
    let time = if utc {
        chrono::Utc
            .timestamp_millis_opt(ms)
            .single()
            .map(|t| t.format("%H:%M").to_string())
    } else {
        chrono::Local
            .timestamp_millis_opt(ms)
            .single()
            .map(|t| t.format("%H:%M").to_string())
    };
    time.unwrap_or_default()
}

/// Breaks `text` into rows of at most `width` columns at spaces (a word longer than a row is
/// split): for text a decision depends on, shown whole rather than cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = row.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= width {
                if gap == 1 {
                    row.push(' ');
                }
                row.extend(word.iter());
                break;
            }
            if used > 0 {
                rows.push(std::mem::take(&mut row));
                continue;
            }
            let rest = word.split_off(width);
            rows.push(word.iter().collect());
            word = rest;
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}
