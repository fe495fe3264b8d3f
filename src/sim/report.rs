//! Writing a training run's score: a JSON or Markdown report file, and one line for the
//! terminal.

use std::fmt::Write as _;

use super::score::Score;

/// How a report file is written, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Markdown,
}

impl ReportFormat {
    /// `.json` or `.md`; anything else is one line saying so.
    pub fn of(path: &std::path::Path) -> Result<ReportFormat, String> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("md") => Ok(ReportFormat::Markdown),
            Some("json") => Ok(ReportFormat::Json),
            _ => Err(format!(
                "{}: the report file must end in .json or .md",
                path.display()
            )),
        }
    }
}

impl Score {
    /// Writes the score to `path` as JSON or Markdown, by its extension.
    pub fn write_report(&self, path: &std::path::Path) -> Result<(), String> {
        let text = match ReportFormat::of(path)? {
            ReportFormat::Markdown => self.to_markdown(),
            ReportFormat::Json => self.to_json(),
        };
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A report for a person: the totals, one row per call, and the mistakes.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let yes = |b: Option<bool>| match b {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "–",
        };
        let secs = |s: Option<i64>| s.map_or_else(|| "–".to_owned(), |s| format!("{s} s"));
        let _ = writeln!(out, "# Training run: {}\n", self.scenario);
        let _ = writeln!(
            out,
            "Seed {}. Score **{} / {}**. Calls handled {} of {}.\n",
            self.seed, self.points, self.max_points, self.calls_handled, self.calls_total
        );
        let _ = writeln!(
            out,
            "Answered within 15 s: {:.1}% (NENA: 90%); within 20 s: {:.1}% (NENA: 95%) — {}.\n",
            self.answer.within_15s_pct,
            self.answer.within_20s_pct,
            if self.answer.meets_nena {
                "meets the standard"
            } else {
                "**below the standard**"
            }
        );
        if let Some(note) = self.speed_note() {
            let _ = writeln!(out, "{note}\n");
        }
        let _ = writeln!(
            out,
            "| call | id | answer | triage | dispatch | response (expected) | fit | check-ins | escalation | disposition (expected) | points |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
        for c in &self.calls {
            let escalation = match (c.escalation_handled, c.linked) {
                (Some(false), _) | (_, Some(false)) => "**no**",
                (Some(true), _) | (_, Some(true)) => "yes",
                (None, None) => "–",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} ({}) | {} | {} | {} | {} ({}) | {} |",
                c.id,
                c.call_id.as_deref().unwrap_or("–"),
                secs(c.answer_s),
                secs(c.triage_s),
                secs(c.dispatch_s),
                c.response.as_deref().unwrap_or("–"),
                c.expected_response,
                yes(c.capability_fit),
                yes(c.checkins_on_time),
                escalation,
                c.disposition.as_deref().unwrap_or("open"),
                c.expected_disposition,
                c.points
            );
        }
        if self.mistake_list.is_empty() {
            let _ = writeln!(out, "\nNo mistakes.");
        } else {
            let _ = writeln!(out, "\n## Mistakes\n");
            for (kind, n) in &self.mistakes {
                let _ = writeln!(out, "- {kind}: {n}");
            }
            let _ = writeln!(out);
            for m in &self.mistake_list {
                let call = m.call_label().map_or_else(String::new, |c| format!(" {c}"));
                let _ = writeln!(
                    out,
                    "- {} {}{}: {} (-{})",
                    m.at, m.kind, call, m.detail, m.points
                );
            }
        }
        if !self.refused.is_empty() {
            let _ = writeln!(
                out,
                "\n## Lines the desk refused (they changed nothing; not scored)\n"
            );
            for r in &self.refused {
                let _ = writeln!(out, "- {} `{}`: {}", r.at, r.line, r.why);
            }
        }
        out
    }

    /// What the clock's speed did to the figures, when it ran faster than real time.
    pub fn speed_note(&self) -> Option<String> {
        (self.fastest > 1.0).then(|| {
            format!(
                "Answer times are real seconds at the console; the shift's clock ran at up to \
                 ×{}, so other times are the shift's.",
                self.fastest
            )
        })
    }

    /// One line for the terminal.
    pub fn summary(&self) -> String {
        let mistakes: Vec<String> = self
            .mistakes
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let refused = match self.refused.len() {
            0 => String::new(),
            1 => "; 1 line refused (not scored)".to_owned(),
            n => format!("; {n} lines refused (not scored)"),
        };
        format!(
            "{}: {} / {} points; {} of {} calls handled; answered within 15 s {:.1}%, within 20 s {:.1}% ({}); mistakes: {}{refused}",
            self.scenario,
            self.points,
            self.max_points,
            self.calls_handled,
            self.calls_total,
            self.answer.within_15s_pct,
            self.answer.within_20s_pct,
            if self.answer.meets_nena { "meets NENA" } else { "below NENA" },
            if mistakes.is_empty() { "none".to_owned() } else { mistakes.join(", ") }
        )
    }
}
