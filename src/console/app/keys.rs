//! What a key press does: triage's own keys, the keys the console keeps for itself (line and
//! form editing, help scrolling), then the keymap's bindings and chords.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::console::keymap::{Key, Lookup, Mode};

use super::{help, App};

impl App {
    /// Handles one key press.
    pub fn key(&mut self, event: KeyEvent) {
        self.handle_key(event);
        self.keep_message();
    }

    pub(super) fn handle_key(&mut self, event: KeyEvent) {
        if event.modifiers.contains(KeyModifiers::CONTROL) && event.code == KeyCode::Char('z') {
            self.ui.suspend = true;
            return;
        }
        if self.ui.triage.is_some() && self.ui.pending.is_empty() && self.triage_key(&event) {
            return;
        }
        let key = Key::from_event(&event);
        let mode = self.ui.mode;
        if self.ui.pending.is_empty() && self.builtin(mode, &event) {
            return;
        }
        let mut keys = std::mem::take(&mut self.ui.pending);
        keys.push(key);
        let found = match self.keymap.lookup(mode, &keys, &|f| self.flag(f)) {
            Lookup::Run(binding) => Some(binding.run.clone()),
            Lookup::Pending(_) => {
                self.ui.pending = keys;
                return;
            }
            Lookup::Unbound => None,
        };
        if let Some(run) = found {
            self.run(&run, false);
        }
    }

    /// Triage keys: a question's key focuses it, y/n/u (or a choice's number) answers the one in
    /// focus and moves on, Up/Down move, Esc or Enter stop. Other keys stop triage and go on.
    pub(super) fn triage_key(&mut self, event: &KeyEvent) -> bool {
        let Some(call) = self.selected_call().map(|c| c.id.clone()) else {
            self.ui.triage = None;
            return false;
        };
        let questions = self.desk.policy().protocol.questions.clone();
        if questions.is_empty() {
            self.ui.triage = None;
            return false;
        }
        let at = self.ui.triage.unwrap_or(0).min(questions.len() - 1);
        let plain = !event
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let answer = match event.code {
            KeyCode::Esc | KeyCode::Enter => {
                self.ui.triage = None;
                return true;
            }
            KeyCode::Down | KeyCode::Tab => {
                self.ui.triage = Some((at + 1) % questions.len());
                return true;
            }
            KeyCode::Up | KeyCode::BackTab => {
                self.ui.triage = Some((at + questions.len() - 1) % questions.len());
                return true;
            }
            KeyCode::Char(c) if plain => match c.to_ascii_lowercase() {
                'y' => "yes".to_owned(),
                'n' => "no".to_owned(),
                'u' | '?' => "unknown".to_owned(),
                d @ '1'..='9' => match &questions[at].kind {
                    crate::domain::triage::AnswerKind::Choice(choices) => {
                        match choices.get(usize::from(d as u8 - b'1')) {
                            Some(choice) => choice.clone(),
                            None => return true,
                        }
                    }
                    crate::domain::triage::AnswerKind::YesNo => return true,
                },
                other => {
                    if let Some(i) = questions
                        .iter()
                        .position(|q| q.key.eq_ignore_ascii_case(&other))
                    {
                        self.ui.triage = Some(i);
                    }
                    return true;
                }
            },
            _ => {
                self.ui.triage = None;
                return false;
            }
        };
        let line = format!("ask {call} {} {answer}", questions[at].id);
        self.run(&line, false);
        self.ui.triage = Some((at + 1) % questions.len());
        true
    }

    /// Line editing, form editing and help scrolling: keys the console handles itself.
    pub(super) fn builtin(&mut self, mode: Mode, event: &KeyEvent) -> bool {
        let plain = !event
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if self.ui.score && self.scroll_score(event.code) {
            return true;
        }
        if self.ui.details_open && self.ui.pending.is_empty() {
            // The whole call scrolls; it stops at its ends.
            let step: i32 = match event.code {
                KeyCode::Down => 1,
                KeyCode::Up => -1,
                KeyCode::PageDown => 10,
                KeyCode::PageUp => -10,
                _ => 0,
            };
            if step != 0 {
                let max = i32::from(self.ui.details_max.get());
                let at = (i32::from(self.ui.details_scroll) + step).clamp(0, max);
                self.ui.details_scroll = u16::try_from(at).unwrap_or(0);
                return true;
            }
        }
        match mode {
            Mode::Command => self.edit_line(event, plain),
            Mode::Form => self.edit_form(event, plain),
            Mode::Help => {
                let step = match event.code {
                    KeyCode::Down => 1,
                    KeyCode::Up => -1,
                    KeyCode::PageDown => 10,
                    KeyCode::PageUp => -10,
                    _ => return false,
                };
                self.ui.help_scroll = self
                    .ui
                    .help_scroll
                    .saturating_add_signed(step)
                    .min(help::max_scroll(self));
                true
            }
            Mode::Normal | Mode::Trainer => false,
        }
    }
}
