//! Laying a user file over its preset, and the clashes between bindings: duplicates and
//! ambiguous prefixes, within one file or against the preset.

use super::read::{Entry, Parsed, Reader, Unbind};
use super::{print_keys, Keymap, KeymapError, Mode};

impl Reader<'_> {
    /// Duplicates and ambiguous prefixes among one file's bindings in one mode; reported on the
    /// later of the two lines.
    pub(super) fn conflicts(&mut self, mode: Mode, entries: &[Entry]) {
        for (j, later) in entries.iter().enumerate() {
            let b = &later.binding.on;
            for earlier in &entries[..j] {
                let a = &earlier.binding.on;
                let message = if a == b {
                    format!(
                        "duplicate binding {} in {mode} mode; first bound at line {}",
                        print_keys(b),
                        earlier.line
                    )
                } else if b.starts_with(a) || a.starts_with(b) {
                    let ((short, short_line), (long, long_line)) = if a.len() < b.len() {
                        ((a, earlier.line), (b, later.line))
                    } else {
                        ((b, later.line), (a, earlier.line))
                    };
                    format!(
                        "ambiguous prefix in {mode} mode: {} (line {short_line}) is the start of {} (line {long_line})",
                        print_keys(short),
                        print_keys(long)
                    )
                } else {
                    continue;
                };
                let line = Some(later.line);
                self.errors.push(KeymapError {
                    file: self.file.to_owned(),
                    line,
                    message,
                });
                break;
            }
        }
    }

    /// Applies a user file to its preset: unbinds first, then each binding replaces the preset's
    /// on the same keys or is added after them.
    pub(super) fn merge(&mut self, base_name: &str, base: Keymap, parsed: &Parsed) -> Keymap {
        let start = parsed.start.unwrap_or(base.start);
        let mut modes = base.modes;
        let mut unbound: Vec<&Unbind> = Vec::new();
        for unbind in &parsed.unbinds {
            let bindings = &mut modes[unbind.mode.index()];
            let keys = print_keys(&unbind.on);
            if let Some(at) = bindings.iter().position(|b| b.on == unbind.on) {
                bindings.remove(at);
                unbound.push(unbind);
                continue;
            }
            let mode = unbind.mode;
            let message = if let Some(first) =
                unbound.iter().find(|u| u.mode == mode && u.on == unbind.on)
            {
                format!(
                    "{keys} in {mode} mode is already unbound at line {}",
                    first.line
                )
            } else if let Some(longer) = bindings.iter().find(|b| b.on.starts_with(&unbind.on)) {
                format!(
                    "cannot unbind {keys} in {mode} mode: preset {base_name} binds {} but not {keys}",
                    longer.keys()
                )
            } else {
                format!("cannot unbind {keys} in {mode} mode: preset {base_name} does not bind it")
            };
            self.errors.push(KeymapError {
                file: self.file.to_owned(),
                line: Some(unbind.line),
                message,
            });
        }
        for mode in Mode::ALL {
            let base_count = modes[mode.index()].len();
            for entry in &parsed.entries[mode.index()] {
                let bindings = &mut modes[mode.index()];
                let on = &entry.binding.on;
                if let Some(same) = bindings[..base_count].iter_mut().find(|b| b.on == *on) {
                    *same = entry.binding.clone();
                    continue;
                }
                let clash = bindings[..base_count]
                    .iter()
                    .find(|b| b.on.starts_with(on) || on.starts_with(&b.on));
                if let Some(clash) = clash {
                    let (mine, theirs) = (print_keys(on), clash.keys());
                    let message = if clash.on.len() > on.len() {
                        format!("ambiguous prefix in {mode} mode: {mine} is the start of {theirs} from preset {base_name}; unbind {theirs} first")
                    } else {
                        format!("ambiguous prefix in {mode} mode: {theirs} from preset {base_name} is the start of {mine}; unbind {theirs} first")
                    };
                    self.errors.push(KeymapError {
                        file: self.file.to_owned(),
                        line: Some(entry.line),
                        message,
                    });
                    continue;
                }
                bindings.push(entry.binding.clone());
            }
        }
        Keymap { start, modes }
    }
}
