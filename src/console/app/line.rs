//! The command line: its text and history, its own editing keys, and the completions offered
//! for the word being typed.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::command::{complete_with, Candidate};
use crate::console::command::CONSOLE_COMMANDS;
use crate::console::keymap::{Key, Lookup, Mode};

use super::App;

/// The command line: text, cursor, history and the completion being offered.
#[derive(Clone, Debug, Default)]
pub struct LineEditor {
    pub text: String,
    /// Byte offset, always on a char boundary.
    pub cursor: usize,
    pub history: Vec<String>,
    history_at: Option<usize>,
    pub candidates: Vec<Candidate>,
    /// The text is a refused line kept for editing: an editing key (Left, Right, Home, End,
    /// Backspace, Delete, Ctrl-A/E/W) edits it, but a typed character starts a new line, so
    /// the next command is never appended to the refused one.
    pub refused: bool,
    /// The candidate Tab last put in, and the text before Tab was pressed.
    pub picked: Option<usize>,
    before_tab: Option<(String, usize)>,
}

impl LineEditor {
    pub fn set(&mut self, text: &str) {
        text.clone_into(&mut self.text);
        self.cursor = self.text.len();
        self.before_tab = None;
        self.picked = None;
        self.refused = false;
    }

    /// Keeps a refused line for editing (see [`LineEditor::refused`]).
    pub(super) fn keep_refused(&mut self, text: &str) {
        self.set(text.trim_end());
        self.refused = !self.text.is_empty();
    }

    fn insert(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
        self.edited();
    }

    fn edited(&mut self) {
        self.before_tab = None;
        self.picked = None;
        self.history_at = None;
    }

    fn prev_boundary(&self) -> usize {
        self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self) -> usize {
        self.text[self.cursor..]
            .chars()
            .next()
            .map_or(self.cursor, |c| self.cursor + c.len_utf8())
    }

    fn backspace(&mut self) {
        if self.cursor > 0 {
            let at = self.prev_boundary();
            self.text.replace_range(at..self.cursor, "");
            self.cursor = at;
            self.edited();
        }
    }

    fn delete(&mut self) {
        if self.cursor < self.text.len() {
            let to = self.next_boundary();
            self.text.replace_range(self.cursor..to, "");
            self.edited();
        }
    }

    fn delete_word(&mut self) {
        let before = self.text[..self.cursor].trim_end();
        let at = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        self.text.replace_range(at..self.cursor, "");
        self.cursor = at;
        self.edited();
    }

    fn recall(&mut self, older: bool) {
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        let at = match (self.history_at, older) {
            (None, true) => Some(last),
            (None, false) => return,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i < last => Some(i + 1),
            (Some(_), false) => None,
        };
        let text = at.map_or_else(String::new, |i| self.history[i].clone());
        self.set(&text);
        self.history_at = at;
    }

    pub(super) fn remember(&mut self, line: &str) {
        if self.history.last().map(String::as_str) != Some(line) {
            self.history.push(line.to_owned());
        }
        self.history_at = None;
    }

    /// Tab: put in the next candidate for the word under the cursor.
    fn cycle(&mut self, back: bool) {
        if self.candidates.is_empty() {
            return;
        }
        let (base, base_cursor) = self
            .before_tab
            .clone()
            .unwrap_or((self.text.clone(), self.cursor));
        let n = self.candidates.len();
        let pick = match (self.picked, back) {
            (None, false) => 0,
            (None, true) => n - 1,
            (Some(i), false) => (i + 1) % n,
            (Some(i), true) => (i + n - 1) % n,
        };
        let start = base[..base_cursor]
            .rfind(char::is_whitespace)
            .map_or(0, |i| i + 1);
        let word = &self.candidates[pick].word;
        let mut text = base[..start].to_owned();
        text.push_str(word);
        let cursor = text.len();
        text.push_str(&base[base_cursor..]);
        self.text = text;
        self.cursor = cursor;
        self.picked = Some(pick);
        self.before_tab = Some((base, base_cursor));
    }
}

impl App {
    /// The line's own keys. Only plain keys edit: Ctrl-Home, Alt-Up and the like go to the
    /// keymap. A typed character after a refusal starts a new line.
    pub(super) fn edit_line(&mut self, event: &KeyEvent, plain: bool) -> bool {
        // A Ctrl key the keymap binds is the keymap's (vim's Ctrl-C leaves the line).
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL)
            && !event.modifiers.contains(KeyModifiers::ALT)
            && self
                .keymap
                .lookup(Mode::Command, &[Key::from_event(event)], &|_| true)
                == Lookup::Unbound;
        let line = &mut self.ui.line;
        match event.code {
            KeyCode::Char(c) if plain => {
                if line.refused {
                    line.set("");
                }
                line.insert(c);
            }
            KeyCode::Char('a') if ctrl => line.cursor = 0,
            KeyCode::Char('e') if ctrl => line.cursor = line.text.len(),
            KeyCode::Char('u' | 'c') if ctrl => line.set(""),
            KeyCode::Char('w') if ctrl => line.delete_word(),
            _ if !plain => return false,
            KeyCode::Backspace => line.backspace(),
            KeyCode::Delete => line.delete(),
            KeyCode::Left => line.cursor = line.prev_boundary(),
            KeyCode::Right => line.cursor = line.next_boundary(),
            KeyCode::Home => line.cursor = 0,
            KeyCode::End => line.cursor = line.text.len(),
            KeyCode::Up => line.recall(true),
            KeyCode::Down => line.recall(false),
            KeyCode::Tab => {
                line.refused = false;
                line.cycle(false);
                return true;
            }
            KeyCode::BackTab => {
                line.refused = false;
                line.cycle(true);
                return true;
            }
            KeyCode::Enter => {
                let text = std::mem::take(&mut line.text);
                line.set("");
                if !text.trim().is_empty() {
                    self.run(&text, true);
                }
                self.refresh_candidates();
                return true;
            }
            _ => return false,
        }
        self.ui.line.refused = false;
        self.ui.message = None;
        self.refresh_candidates();
        true
    }

    /// Candidates for the word being typed: console commands too when it is the first word.
    pub(super) fn refresh_candidates(&mut self) {
        let line = &self.ui.line;
        let typed = line.text[..line.cursor].trim_start_matches(':');
        // The desk's protocol, so `ask 5 ` offers its questions and their answers.
        let mut candidates =
            complete_with(typed, self.desk.state(), Some(&self.desk.policy().protocol));
        if !typed.contains(char::is_whitespace) {
            let word = typed.to_ascii_lowercase();
            candidates.extend(
                CONSOLE_COMMANDS
                    .iter()
                    .filter(|c| !word.is_empty() && c.name.starts_with(&word))
                    .map(|c| Candidate {
                        word: c.name.into(),
                        hint: c.doc.into(),
                    }),
            );
        }
        if typed.is_empty() {
            candidates.clear();
        }
        self.ui.line.candidates = candidates;
    }
}
