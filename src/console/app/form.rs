//! The intake form a call-taker fills while on the phone, and its keys.

use crossterm::event::{KeyCode, KeyEvent};

use crate::command::print;
use crate::domain::{CallType, Command, NewCall};

use super::App;

/// The intake form a call-taker fills while on the phone.
#[derive(Clone, Debug, Default)]
pub struct IntakeForm {
    pub fields: [String; 6],
    pub focus: usize,
}

impl IntakeForm {
    pub const LABELS: [&'static str; 6] = [
        "Location", "Nature", "Caller", "Callback", "Type", "Priority",
    ];

    fn command(&self) -> Result<Command, String> {
        let [location, nature, caller, callback, kind, pri] = &self.fields;
        let text = |s: &String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Command::TakeCall(NewCall {
            location: location.trim().to_owned(),
            nature: nature.trim().to_owned(),
            caller: text(caller),
            callback: text(callback),
            call_type: text(kind)
                .map(|k| CallType::parse_word_or_apco(&k))
                .transpose()?,
            priority: text(pri).map(|p| p.parse()).transpose()?,
            zone: None,
            coords: None,
            civic: None,
            placed: None,
        }))
    }
}

impl App {
    pub(super) fn edit_form(&mut self, event: &KeyEvent, plain: bool) -> bool {
        let form = &mut self.ui.form;
        let n = IntakeForm::LABELS.len();
        match event.code {
            KeyCode::Char(c) if plain => form.fields[form.focus].push(c),
            KeyCode::Backspace => {
                form.fields[form.focus].pop();
            }
            KeyCode::Tab | KeyCode::Down => form.focus = (form.focus + 1) % n,
            KeyCode::BackTab | KeyCode::Up => form.focus = (form.focus + n - 1) % n,
            KeyCode::Enter => {
                match form.command() {
                    Ok(command) => {
                        let text = print(&command);
                        if self.execute(&command, &text) {
                            self.ui.line.remember(&text);
                            self.ui.form = IntakeForm::default();
                            self.ui.mode = self.ui.base_mode;
                        }
                    }
                    Err(e) => self.refuse(e),
                }
                return true;
            }
            _ => return false,
        }
        self.ui.message = None;
        true
    }
}
