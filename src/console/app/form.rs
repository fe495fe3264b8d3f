//! The intake form a call-taker fills while on the phone, and its keys.

use crossterm::event::{KeyCode, KeyEvent};

use crate::command::complete::call_types;
use crate::command::parse::has_house_number;
use crate::command::{print, Candidate};
use crate::domain::{CallType, Command, NewCall};

use super::{App, Message, Tone};

/// The intake form a call-taker fills while on the phone.
#[derive(Clone, Debug, Default)]
pub struct IntakeForm {
    pub fields: [String; 8],
    pub focus: usize,
    /// The field the last Enter found wrong: named in the refusal and marked on the form until
    /// it is edited. The other fields keep what was typed.
    pub bad: Option<usize>,
}

impl IntakeForm {
    pub const LABELS: [&'static str; 8] = [
        "Location",
        "Cross street",
        "Nature",
        "Caller",
        "Callback",
        "Type",
        "Priority",
        "Zone",
    ];
    pub const LOCATION: usize = 0;
    pub const CROSS: usize = 1;
    pub const NATURE: usize = 2;
    pub const TYPE: usize = 5;
    pub const PRIORITY: usize = 6;

    /// The call the form describes, or the field that is wrong and why. A cross street joins
    /// the location as an intersection (`N 60th St / W Capitol Dr`), as `call A / B / nature`
    /// does on the command line; the zone goes in as `--zone` does.
    fn command(&self) -> Result<Command, (usize, String)> {
        let [location, cross, nature, caller, callback, kind, pri, zone] = &self.fields;
        let text = |s: &String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let Some(mut location) = text(location) else {
            return Err((Self::LOCATION, "a call needs a location".into()));
        };
        let Some(nature) = text(nature) else {
            return Err((
                Self::NATURE,
                "a call needs a nature (what is happening)".into(),
            ));
        };
        if let Some(cross) = text(cross) {
            if has_house_number(&location) {
                return Err((
                    Self::CROSS,
                    format!("{location} is placed by its house number; clear one of them"),
                ));
            }
            location = format!("{location} / {cross}");
        }
        let call_type = text(kind)
            .map(|k| CallType::parse_word_or_apco(&k))
            .transpose()
            .map_err(|e| (Self::TYPE, e))?;
        let priority = text(pri)
            .map(|p| p.parse())
            .transpose()
            .map_err(|e| (Self::PRIORITY, e))?;
        Ok(Command::TakeCall(NewCall {
            location,
            nature,
            caller: text(caller),
            callback: text(callback),
            call_type,
            priority,
            zone: text(zone),
            coords: None,
            civic: None,
            placed: None,
        }))
    }

    /// What Tab would put in the Type field: call types for what is typed there, best first;
    /// empty when nothing is typed or it already names a type.
    pub fn type_candidates(&self) -> Vec<Candidate> {
        let typed = self.fields[Self::TYPE].trim();
        if typed.is_empty() || CallType::parse_word_or_apco(typed).is_ok() {
            return Vec::new();
        }
        let mut found = call_types(typed);
        if found.is_empty() {
            // A misspelling fuzzy matching misses (`welfair`): the word it was meant for.
            let words = CallType::ALL.iter().map(|t| t.word());
            if let Some(meant) = crate::spelling::suggest(typed, words) {
                found = call_types(meant);
                found.retain(|c| c.word == meant);
            }
        }
        found
    }
}

impl App {
    pub(super) fn edit_form(&mut self, event: &KeyEvent, plain: bool) -> bool {
        let form = &mut self.ui.form;
        let n = IntakeForm::LABELS.len();
        match event.code {
            KeyCode::Char(c) if plain => {
                form.fields[form.focus].push(c);
                form.bad = form.bad.filter(|&b| b != form.focus);
            }
            KeyCode::Backspace => {
                form.fields[form.focus].pop();
                form.bad = form.bad.filter(|&b| b != form.focus);
            }
            // Tab on a type begun completes it, as the command line's Tab does (the field shows
            // beforehand what Tab puts in), and moves on in the same press: a call-taker types a
            // field and Tab, field and Tab, and the priority typed next must land in Priority,
            // not on the end of the type.
            KeyCode::Tab
                if form.focus == IntakeForm::TYPE && !form.type_candidates().is_empty() =>
            {
                let best = form.type_candidates().remove(0);
                form.fields[IntakeForm::TYPE] = best.word;
                form.bad = form.bad.filter(|&b| b != IntakeForm::TYPE);
                form.focus = (form.focus + 1) % n;
            }
            KeyCode::Tab
                if form.focus == IntakeForm::TYPE
                    && !form.fields[IntakeForm::TYPE].trim().is_empty()
                    && CallType::parse_word_or_apco(form.fields[IntakeForm::TYPE].trim())
                        .is_err() =>
            {
                let typed = form.fields[IntakeForm::TYPE].trim().to_owned();
                form.focus = (form.focus + 1) % n;
                self.ui.message = Some(Message {
                    tone: Tone::Refusal,
                    text: format!("Type: no call type matches '{typed}'"),
                });
                return true;
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
                    Err((field, why)) => {
                        // One wrong field is named and focused; everything typed stays.
                        form.focus = field;
                        form.bad = Some(field);
                        let label = IntakeForm::LABELS[field];
                        self.refuse(format!("{label}: {why}"));
                    }
                }
                return true;
            }
            _ => return false,
        }
        self.ui.message = None;
        true
    }
}
